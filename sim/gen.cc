// gen.cc - smmusim gen (see gen.h).
#include "gen.h"

#include <cstdio>
#include <fstream>

#include "params.h"

namespace smmusim {

namespace {

const char kGenUsage[] =
	"usage: smmusim gen stream --pkts N [--size S] [--depth D] [--dir to|from|bidi]\n"
	"                          [--device NAME] [--sid N] [--strict on|off] [--gap DURATION]\n"
	"                          [-o FILE]\n"
	"  a host driver streaming N buffers of S bytes (default 1500) through the DMA\n"
	"  API with D (default 64) mapped ahead: per packet the device's DMA of the\n"
	"  buffer, its unmap, the next map. --strict writes config kernel.iommu_strict\n"
	"  (otherwise the replay's default or --set decides); --gap waits that long\n"
	"  after each packet (the driver's other work). Writes to stdout or FILE.\n";

int gen_error(std::ostream &err, const std::string &what)
{
	err << "smmusim gen: error: " << what << "\n" << kGenUsage;
	return 1;
}

} // namespace

int run_gen(const std::vector<std::string> &args, std::ostream &out, std::ostream &err)
{
	if (args.empty())
		return gen_error(err, "missing generator (stream)");
	if (args[0] == "--help" || args[0] == "-h") {
		out << kGenUsage;
		return 0;
	}
	if (args[0] != "stream")
		return gen_error(err, "unknown generator '" + args[0] + "'");
	uint64_t pkts = 0, size = 1500, depth = 64, sid = 0x100, gap_ps = 0;
	bool have_pkts = false;
	std::string dir = "to", device = "nic0", strict, file;
	for (size_t i = 1; i < args.size(); i++) {
		const std::string &a = args[i];
		auto value = [&](std::string &v) {
			if (i + 1 >= args.size())
				return false;
			v = args[++i];
			return true;
		};
		std::string v;
		if (a == "--pkts" || a == "--size" || a == "--depth" || a == "--sid") {
			uint64_t n = 0;
			if (!value(v) || !parse_u64(v, n))
				return gen_error(err, a + " expects a number");
			if (a == "--pkts")
				pkts = n, have_pkts = true;
			else if (a == "--size")
				size = n;
			else if (a == "--depth")
				depth = n;
			else
				sid = n;
		} else if (a == "--dir") {
			if (!value(dir) || (dir != "to" && dir != "from" && dir != "bidi"))
				return gen_error(err, "--dir expects to, from or bidi");
		} else if (a == "--device") {
			if (!value(device) || device.empty() ||
			    device.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
						     "0123456789_") != std::string::npos ||
			    (device[0] >= '0' && device[0] <= '9'))
				return gen_error(err, "--device expects a name ([A-Za-z_][A-Za-z0-9_]*)");
		} else if (a == "--strict") {
			if (!value(strict) || (strict != "on" && strict != "off"))
				return gen_error(err, "--strict expects on or off");
		} else if (a == "--gap") {
			if (!value(v) || !parse_duration_ps(v, gap_ps))
				return gen_error(err, "--gap expects a duration (500ns, 2us)");
		} else if (a == "-o") {
			if (!value(file))
				return gen_error(err, "-o expects a file name");
		} else {
			return gen_error(err, "unknown option '" + a + "'");
		}
	}
	if (!have_pkts || !pkts)
		return gen_error(err, "--pkts N (at least 1) is required");
	if (!size || size > (64ull << 20))
		return gen_error(err, "--size must be 1 byte to 64 MiB (the largest DMA record)");
	if (!depth)
		return gen_error(err, "--depth must be at least 1");
	if (depth > pkts)
		depth = pkts;
	std::ofstream f;
	std::ostream *o = &out;
	if (!file.empty() && file != "-") {
		f.open(file, std::ios::binary);
		if (!f)
			return gen_error(err, "cannot write " + file);
		o = &f;
	}
	const char *ddir = dir == "from" ? "write" : "read"; // the device's side
	char buf[256];
	*o << "smmutrace 1.1\n"
	   << "# smmusim gen stream --pkts " << pkts << " --size " << size << " --depth " << depth
	   << " --dir " << dir;
	if (!strict.empty())
		*o << " --strict " << strict;
	if (gap_ps)
		*o << " --gap " << gap_ps / 1000 << "ns";
	*o << "\n# A host driver streams " << pkts << " buffers of " << size
	   << " bytes through the kernel's DMA API, " << depth
	   << " mapped ahead:\n# per packet the device's DMA, the unmap, the next map.\n";
	if (!strict.empty())
		*o << "config kernel.iommu_strict=" << strict << "\n";
	snprintf(buf, sizeof(buf), "device %s smmu=smmu0 sid=0x%llx\n", device.c_str(),
		 (unsigned long long)sid);
	*o << buf;
	auto map = [&](uint64_t i) {
		snprintf(buf, sizeof(buf), "dmaapi %s map len=%llu dir=%s -> iova=$b%llu\n",
			 device.c_str(), (unsigned long long)size, dir.c_str(), (unsigned long long)i);
		*o << buf;
	};
	for (uint64_t i = 0; i < depth; i++)
		map(i);
	for (uint64_t i = 0; i < pkts; i++) {
		snprintf(buf, sizeof(buf), "dma %s addr=$b%llu len=%llu dir=%s\n", device.c_str(),
			 (unsigned long long)i, (unsigned long long)size, ddir);
		*o << buf;
		snprintf(buf, sizeof(buf), "dmaapi %s unmap iova=$b%llu len=%llu\n", device.c_str(),
			 (unsigned long long)i, (unsigned long long)size);
		*o << buf;
		if (i + depth < pkts)
			map(i + depth);
		if (gap_ps)
			*o << "wait " << gap_ps / 1000 << "ns\n";
	}
	*o << "expect isolation\n";
	o->flush();
	if (!*o) {
		err << "smmusim gen: error: write failed\n";
		return 1;
	}
	return 0;
}

} // namespace smmusim
