// replay_main.cc - a plain driver for the fuzz targets (no clang, no
// libFuzzer): main() feeds every file named on the command line, or every
// file of every directory named, to LLVMFuzzerTestOneInput, in sorted order.
// make test runs it over each target's seed corpus and every reproducer ever
// found (tests/fuzz/corpus/<target>, tests/fuzz/repro/<target>), so a
// defect a fuzzer found stays fixed. A defect aborts the process.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void collect(const std::string &path, std::vector<std::string> &out)
{
	struct stat st;
	if (stat(path.c_str(), &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		out.push_back(path);
		return;
	}
	if (DIR *d = opendir(path.c_str())) {
		while (dirent *e = readdir(d)) {
			std::string n = e->d_name;
			if (n.empty() || n[0] == '.' || n == "README.md")
				continue;
			collect(path + "/" + n, out);
		}
		closedir(d);
	}
}

int main(int argc, char **argv)
{
	std::vector<std::string> files;
	for (int i = 1; i < argc; i++)
		collect(argv[i], files);
	std::sort(files.begin(), files.end());
	for (const std::string &f : files) {
		std::ifstream in(f, std::ios::binary);
		std::vector<uint8_t> buf((std::istreambuf_iterator<char>(in)),
					 std::istreambuf_iterator<char>());
		LLVMFuzzerTestOneInput(buf.data(), buf.size());
	}
	printf("%zu inputs replayed, 0 defects\n", files.size());
	return files.empty() ? 1 : 0;
}
