// sweep_bench.cc - sweep.jobs_per_s: jobs per second (wall clock) of
// `smmusim sweep -j 2` on 40 tiny jobs (one small example trace x a grid of
// 40 values of t.mem_read), collection included. The jobs are processes, so
// this measures the start-up and report cost of a job plus the sweep's own.
// Prints one flat JSON object.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

int main()
{
	std::string dir = "/tmp/sweep_bench." + std::to_string(getpid());
	std::string plan = dir + ".plan.json";
	std::ofstream p(plan);
	p << "{\"traces\": [\"" << SMALL_TRACE << "\"], \"grid\": {\"t.mem_read\": [";
	for (int i = 0; i < 40; i++)
		p << (i ? "," : "") << 60 + i;
	p << "]}, \"metrics\": [\"sim_time_ns\"]}\n";
	p.close();
	auto t0 = std::chrono::steady_clock::now();
	pid_t pid = fork();
	if (pid == 0) {
		freopen("/dev/null", "w", stdout);
		execl(SMMUSIM_EXE, SMMUSIM_EXE, "sweep", plan.c_str(), "-j", "2", "--out", dir.c_str(),
		      (char *)nullptr);
		_exit(127);
	}
	int ws = 0;
	waitpid(pid, &ws, 0);
	double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
	std::string rm = "rm -rf '" + dir + "' '" + plan + "'";
	if (system(rm.c_str()) != 0)
		return 1;
	if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
		fprintf(stderr, "sweep_bench: the sweep failed\n");
		return 1;
	}
	printf("{\n  \"sweep.jobs_per_s\": %.1f,\n  \"sweep.jobs\": 40\n}\n", 40.0 / s);
	return 0;
}
