// gen.cc - smmusim gen (see gen.h).
#include "gen.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "baremetal.h"
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
	"  after each packet (the driver's other work). The buffers' IOVAs are named\n"
	"  $b0 .. $b(D-1), each name bound again after its unmap.\n"
	"       smmusim gen dma --dmas N [--pages P] [--len L] [--write-every K] [--seed S]\n"
	"                       [-o FILE]\n"
	"  a device's DMA stream on a bare-metal SMMU (no kernel model): the set-up\n"
	"  writes (stream table, CD, stage-1 tables, queues, SMMUEN), then N DMAs of L\n"
	"  bytes (default 64) to pseudo-random lines of P mapped 4 KiB pages (default\n"
	"  4), every K-th (default 8; 0: none) a write, ending in expect isolation and\n"
	"  expect stat dma.ok == N (TLB hits: the simulator's fastest path).\n"
	"  Either writes to stdout (or FILE) as it goes: `smmusim gen ... | smmusim\n"
	"  replay -` needs no file and no memory that grows with N.\n";

int gen_error(std::ostream &err, const std::string &what)
{
	err << "smmusim gen: error: " << what << "\n" << kGenUsage;
	return 1;
}

// `gen dma`: written in blocks with hand-made hex, so that the generator
// outruns the replay at the other end of a pipe (some 5 M DMA/s).
int gen_dma(const std::vector<std::string> &args, std::ostream &out, std::ostream &err)
{
	uint64_t dmas = 0, pages = 4, len = 64, every = 8, seed = 1;
	bool have = false;
	std::string file;
	for (size_t i = 1; i < args.size(); i++) {
		const std::string &a = args[i];
		if (a != "-o" && a != "--dmas" && a != "--pages" && a != "--len" && a != "--write-every" &&
		    a != "--seed")
			return gen_error(err, "unknown option '" + a + "'");
		if (i + 1 >= args.size())
			return gen_error(err, a + " expects a value");
		const std::string &v = args[++i];
		uint64_t n = 0;
		if (a == "-o") {
			file = v;
			continue;
		}
		if (!parse_u64(v, n))
			return gen_error(err, a + " expects a number");
		if (a == "--dmas")
			dmas = n, have = true;
		else if (a == "--pages")
			pages = n;
		else if (a == "--len")
			len = n;
		else if (a == "--write-every")
			every = n;
		else
			seed = n;
	}
	if (!have || !dmas)
		return gen_error(err, "--dmas N (at least 1) is required");
	if (!pages || pages > (1u << 20))
		return gen_error(err, "--pages must be 1 to 2^20");
	if (!len || len > 4096)
		return gen_error(err, "--len must be 1 to 4096 (one page)");
	const uint64_t kVa = 0x40000000ull, kPa = 0x80000000ull;
	BareMetalTrace bm;
	bm.line("smmutrace 1");
	bm.line("# smmusim gen dma --dmas " + std::to_string(dmas) + " --pages " + std::to_string(pages) +
		" --len " + std::to_string(len) + " --write-every " + std::to_string(every) + " --seed " +
		std::to_string(seed));
	bm.line("device dev0 smmu=smmu0 sid=1");
	bm.enable(8);
	smmu_pt pt = bm.s1_stream(1, 1);
	bm.map_s1(pt, kVa, kPa, pages << 12);
	bm.line("wait 1us");
	std::string text = bm.text();
	std::ofstream f;
	std::ostream *o = &out;
	if (!file.empty() && file != "-") {
		f.open(file, std::ios::binary);
		if (!f)
			return gen_error(err, "cannot write " + file);
		o = &f;
	}
	o->write(text.data(), (std::streamsize)text.size());
	// Offsets: 64-byte lines that keep the DMA inside its page.
	const uint64_t span = ((4096 - len) & ~63ull) + 64;
	char lenbuf[32];
	int lenlen = snprintf(lenbuf, sizeof(lenbuf), " len=%" PRIu64 " dir=", len);
	std::string buf;
	buf.reserve(1 << 20);
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 0x2545f4914f6cdd1dull;
	for (uint64_t k = 0; k < dmas && *o; k++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint64_t page = (x >> 33) % pages;
		uint64_t addr = kVa + (page << 12) + (((x >> 13) & 0xfffff) % span & ~63ull);
		char line[96], *p = line;
		std::memcpy(p, "dma dev0 addr=0x", 16);
		p = put_hex(p + 16, addr);
		std::memcpy(p, lenbuf, (size_t)lenlen);
		p += lenlen;
		bool w = every && (k % every) == every - 1;
		std::memcpy(p, w ? "write\n" : "read\n", w ? 6 : 5);
		p += w ? 6 : 5;
		buf.append(line, (size_t)(p - line));
		if (buf.size() > (1 << 20) - 128) {
			o->write(buf.data(), (std::streamsize)buf.size());
			buf.clear();
		}
	}
	buf += "expect isolation\nexpect stat dma.ok == " + std::to_string(dmas) + "\n";
	o->write(buf.data(), (std::streamsize)buf.size());
	o->flush();
	if (!*o) {
		err << "smmusim gen: error: write failed\n";
		return 1;
	}
	return 0;
}

} // namespace

int run_gen(const std::vector<std::string> &args, std::ostream &out, std::ostream &err)
{
	if (args.empty())
		return gen_error(err, "missing generator (stream or dma)");
	// `gen --help`, `gen dma --help`, `gen stream -h`
	for (size_t i = 0; i < args.size() && i < 2; i++)
		if (args[i] == "--help" || args[i] == "-h") {
			out << kGenUsage;
			return 0;
		}
	if (args[0] == "dma")
		return gen_dma(args, out, err);
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
			else if (n > 0xffffffffull)
				return gen_error(err, "--sid expects a 32-bit StreamID");
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
	// Buffer i's IOVA is $b(i mod depth): its unmap releases the name
	// before the map D packets ahead binds it again (FORMAT.md section 5),
	// so that the replay's variables stay as few as the buffers in flight.
	auto map = [&](uint64_t i) {
		snprintf(buf, sizeof(buf), "dmaapi %s map len=%llu dir=%s -> iova=$b%llu\n",
			 device.c_str(), (unsigned long long)size, dir.c_str(),
			 (unsigned long long)(i % depth));
		*o << buf;
	};
	for (uint64_t i = 0; i < depth; i++)
		map(i);
	for (uint64_t i = 0; i < pkts; i++) {
		snprintf(buf, sizeof(buf), "dma %s addr=$b%llu len=%llu dir=%s\n", device.c_str(),
			 (unsigned long long)(i % depth), (unsigned long long)size, ddir);
		*o << buf;
		snprintf(buf, sizeof(buf), "dmaapi %s unmap iova=$b%llu len=%llu\n", device.c_str(),
			 (unsigned long long)(i % depth), (unsigned long long)size);
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
