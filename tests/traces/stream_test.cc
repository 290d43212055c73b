// stream_test.cc - what lets a trace of any length be read with bounded
// memory: `dmaapi DEV unmap iova=$v` releases $v, so that a later map may
// bind it again (only that record, only that variable; the value stays
// usable until then), and path "-" reads standard input as it comes (named
// <stdin> in errors), a pipe longer than any buffer included.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>

#include "trc/trace.h"
#include "trc_test_util.h"

namespace {

const char kPrelude[] =
	"smmutrace 1.1\n"
	"device nic0 smmu=smmu0 sid=0x100\n"
	"dmaapi nic0 map len=4096 dir=to -> iova=$b0\n";

TEST(TrcStream, UnmapReleasesItsVariableForTheNextMap)
{
	trctest::ReadResult r = trctest::ReadText(std::string(kPrelude) +
						  "dma nic0 addr=$b0 len=64 dir=read\n"
						  "dmaapi nic0 unmap iova=$b0 len=4096\n"
						  "dma nic0 addr=$b0 len=64 dir=read\n" // stale, still bound
						  "dmaapi nic0 map len=4096 dir=to -> iova=$b0\n"
						  "dmaapi nic0 unmap iova=$b0 len=4096\n"
						  "dmaapi nic0 map len=4096 dir=to -> iova=$b0\n"
						  "dma nic0 addr=$b0 len=64 dir=read\n");
	EXPECT_EQ(r.rc, TRC_EOF) << r.err.line << ":" << r.err.col << " " << r.err.msg;
	EXPECT_EQ(r.records.size(), 10u);
}

TEST(TrcStream, OtherwiseAVariableIsStillBoundOnce)
{
	// no unmap in between
	trctest::ReadResult r = trctest::ReadText(std::string(kPrelude) +
						  "dmaapi nic0 map len=4096 dir=to -> iova=$b0\n");
	EXPECT_EQ(r.rc, TRC_E_VAR);
	EXPECT_EQ(r.err.line, 4u);
	EXPECT_EQ(r.err.col, 41u); // the $b0 of the result
	EXPECT_NE(std::string(r.err.msg).find("already bound on line 3"), std::string::npos) << r.err.msg;
	// the unmap of another variable, or of a literal IOVA, releases nothing
	r = trctest::ReadText(std::string(kPrelude) +
			      "dmaapi nic0 map len=4096 dir=to -> iova=$b1\n"
			      "dmaapi nic0 unmap iova=$b1 len=4096\n"
			      "dmaapi nic0 unmap iova=0x1000 len=4096\n"
			      "dmaapi nic0 map len=4096 dir=to -> iova=$b0\n");
	EXPECT_EQ(r.rc, TRC_E_VAR);
	EXPECT_EQ(r.err.line, 7u);
	// other records that name a variable do not release it
	r = trctest::ReadText("smmutrace 1\nopen /dev/iommu -> fd=$f\nclose $f\nopen /dev/iommu -> fd=$f\n");
	EXPECT_EQ(r.rc, TRC_E_VAR);
	EXPECT_EQ(r.err.line, 4u);
	// a released name bound again is bound: binding it a third time needs
	// another unmap, and the error names the line of the new binding
	r = trctest::ReadText(std::string(kPrelude) +
			      "dmaapi nic0 unmap iova=$b0 len=4096\n"
			      "dmaapi nic0 map len=4096 dir=to -> iova=$b0\n"
			      "dmaapi nic0 map len=4096 dir=to -> iova=$b0\n");
	EXPECT_EQ(r.rc, TRC_E_VAR);
	EXPECT_EQ(r.err.line, 6u);
	EXPECT_NE(std::string(r.err.msg).find("already bound on line 5"), std::string::npos) << r.err.msg;
	// only a variable a `dmaapi map` bound as its IOVA is released: the
	// unmap of an fd's variable releases nothing
	r = trctest::ReadText(std::string(kPrelude) +
			      "open /dev/kvm -> fd=$x\n"
			      "dmaapi nic0 unmap iova=$x len=4096\n"
			      "open /dev/kvm -> fd=$x\n");
	EXPECT_EQ(r.rc, TRC_E_VAR);
	EXPECT_EQ(r.err.line, 6u);
	EXPECT_NE(std::string(r.err.msg).find("already bound on line 4"), std::string::npos) << r.err.msg;
	// and a released IOVA's name is bound again only by another map's iova=
	r = trctest::ReadText(std::string(kPrelude) +
			      "dmaapi nic0 unmap iova=$b0 len=4096\n"
			      "open /dev/kvm -> fd=$b0\n");
	EXPECT_EQ(r.rc, TRC_E_VAR);
	EXPECT_EQ(r.err.line, 5u);
	EXPECT_NE(std::string(r.err.msg).find("bound again only by `dmaapi ... map -> iova=$b0`"),
		  std::string::npos)
	    << r.err.msg;
}

// Point fd 0 at fd for the duration of a test (the reader uses stdin).
struct StdinFrom {
	int saved;
	explicit StdinFrom(int fd) : saved(dup(0))
	{
		dup2(fd, 0);
		close(fd);
		clearerr(stdin);
	}
	~StdinFrom()
	{
		dup2(saved, 0);
		close(saved);
		clearerr(stdin);
	}
};

TEST(TrcStream, DashReadsAPipeOnStandardInputAsItComes)
{
	// 200,000 records (some 8 MB): far more than a pipe or a reader block
	// holds, written by another thread while the reader reads.
	int p[2];
	ASSERT_EQ(pipe(p), 0);
	const int n = 200000;
	std::thread writer([&] {
		std::string head = "smmutrace 1\ndevice d0 smmu=smmu0 sid=1\n";
		ssize_t w = write(p[1], head.data(), head.size());
		(void)w;
		char line[64];
		for (int i = 0; i < n; i++) {
			int len = snprintf(line, sizeof(line), "dma d0 addr=0x%x len=64 dir=read\n", 0x1000 + 64 * (i % 64));
			w = write(p[1], line, (size_t)len);
		}
		close(p[1]);
	});
	uint64_t records = 0;
	trc_error err{};
	{
		StdinFrom in(p[0]);
		trc_reader *r = nullptr;
		ASSERT_EQ(trc_reader_open("-", nullptr, &r, &err), TRC_OK);
		const trc_record *rec;
		int rc;
		while ((rc = trc_reader_next(r, &rec)) == TRC_OK)
			records++;
		EXPECT_EQ(rc, TRC_EOF) << trc_reader_error(r)->msg;
		trc_reader_close(r); // does not close standard input
		EXPECT_NE(fcntl(0, F_GETFD), -1);
	}
	writer.join();
	EXPECT_EQ(records, (uint64_t)n + 2);
}

TEST(TrcStream, ErrorsOnStandardInputAreNamedStdin)
{
	int p[2];
	ASSERT_EQ(pipe(p), 0);
	std::string text = "smmutrace 1\ndevice d0 smmu=smmu0 sid=1\ndma d0 addr=0x1000 len=64 dir=up\n";
	ASSERT_EQ(write(p[1], text.data(), text.size()), (ssize_t)text.size());
	close(p[1]);
	StdinFrom in(p[0]);
	trc_error err{};
	uint64_t n = 0;
	EXPECT_EQ(trc_file_check("-", nullptr, &n, &err), TRC_E_SCHEMA);
	char buf[512];
	trc_error_format(&err, buf, sizeof(buf));
	EXPECT_EQ(std::string(buf).rfind("<stdin>:3:", 0), 0u) << buf;
}

} // namespace
