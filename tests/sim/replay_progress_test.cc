// replay_progress_test.cc - the replay's progress line: on a terminal
// (stderr a pseudo-terminal from posix_openpt) a run longer than a second
// shows "records, simulated time, rate", rewritten with \r and erased at
// the end; never when stderr is a pipe or a file, never with --no-progress,
// never for a short run. Label: sim.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "run_util.h"
#include "sc_gtest_main.h"

namespace
{

// Long enough to pass one second on any machine: 8 M DMAs over 1024 pages,
// so that most miss the TLBs (hits alone replay at 10 M DMA/s and more).
// Under AddressSanitizer the replay is ten times slower or more: 2 M.
#if defined(__SANITIZE_ADDRESS__)
#define LONG_DMAS "2000000"
#else
#define LONG_DMAS "8000000"
#endif
const char kLong[] = LONG_DMAS " --pages 1024";

// sh -c "smmusim gen dma --dmas N | smmusim replay - --quiet EXTRA" with
// its stderr on a new pseudo-terminal; what the terminal received.
std::string OnTty(const std::string &dmas, const std::string &extra, int *status)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	EXPECT_GE(m, 0);
	if (m < 0 || grantpt(m) != 0 || unlockpt(m) != 0)
		return "";
	std::string slave = ptsname(m);
	std::string cmd = std::string("'") + SMMUSIM_EXE + "' gen dma --dmas " + dmas + " | '" +
			  SMMUSIM_EXE + "' replay - --quiet " + extra;
	pid_t pid = fork();
	if (pid == 0) {
		setsid();
		int s = open(slave.c_str(), O_RDWR);
		struct termios t;
		if (tcgetattr(s, &t) == 0) {
			cfmakeraw(&t); // bytes as written (no \n -> \r\n)
			tcsetattr(s, TCSANOW, &t);
		}
		int n = open("/dev/null", O_RDWR);
		dup2(n, 0);
		dup2(n, 1);
		dup2(s, 2);
		close(m);
		execl("/bin/sh", "sh", "-c", cmd.c_str(), (char *)nullptr);
		_exit(127);
	}
	std::string got;
	char buf[4096];
	for (;;) {
		ssize_t k = read(m, buf, sizeof(buf));
		if (k > 0) {
			got.append(buf, (size_t)k);
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		break; // EIO once every holder of the slave has closed it
	}
	int ws = 0;
	waitpid(pid, &ws, 0);
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
	close(m);
	return got;
}

TEST(ReplayProgress, ALongRunShowsItsProgressOnATerminal)
{
	int st = -1;
	std::string tty = OnTty(kLong, "", &st);
	EXPECT_EQ(st, 0);
	size_t first = tty.find("\rreplay: ");
	ASSERT_NE(first, std::string::npos) << tty;
	EXPECT_NE(tty.find(" records, "), std::string::npos) << tty;
	EXPECT_NE(tty.find(" simulated, "), std::string::npos) << tty;
	EXPECT_NE(tty.find(" M records/s, "), std::string::npos) << tty;
	// rewritten in place, never a new line; erased at the end
	EXPECT_EQ(tty.find('\n'), std::string::npos) << tty;
	ASSERT_GE(tty.size(), 4u);
	EXPECT_EQ(tty.substr(tty.size() - 4), "\r\033[K");
	// the counts go up and stay within the trace
	unsigned long long a = std::strtoull(tty.c_str() + first + 9, nullptr, 10);
	size_t last = tty.rfind("\rreplay: ");
	unsigned long long b = std::strtoull(tty.c_str() + last + 9, nullptr, 10);
	EXPECT_GT(a, 0u);
	EXPECT_GE(b, a);
	EXPECT_LE(b, std::strtoull(LONG_DMAS, nullptr, 10) + 100);
}

TEST(ReplayProgress, NeverIntoAPipeOrAFile)
{
	// stderr a file (run()), then a pipe: not a terminal, no progress
	RunResult r = run("/bin/sh", {"-c", std::string("'") + SMMUSIM_EXE + "' gen dma --dmas " + kLong +
						       " | '" + SMMUSIM_EXE + "' replay - --quiet"});
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.err, "");
	std::string cmd = std::string("'") + SMMUSIM_EXE + "' gen dma --dmas " + kLong + " | '" +
			  SMMUSIM_EXE + "' replay - --quiet --json - 2>&1 >/dev/null | wc -c";
	FILE *f = popen(cmd.c_str(), "r");
	ASSERT_TRUE(f);
	char buf[64] = "";
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	pclose(f);
	EXPECT_EQ(std::atoi(buf), 0) << "bytes on stderr (a pipe): " << buf;
}

TEST(ReplayProgress, NotWithNoProgressNorForAShortRun)
{
	int st = -1;
	EXPECT_EQ(OnTty(kLong, "--no-progress", &st), "");
	EXPECT_EQ(st, 0);
	EXPECT_EQ(OnTty("1000", "", &st), "");
	EXPECT_EQ(st, 0);
}

} // namespace
