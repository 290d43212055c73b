// Robustness of the ioctl surface: seeded random argument structs, built
// generically from the uAPI field table, thrown at every kind of fd
// (iommufd, bound and unbound cdev, group, type1 container). User memory is
// guarded: a copy outside the argument buffer or the scratch area fails as
// a bad user pointer would (EFAULT), so random lengths cannot reach host
// memory. Every call must return a value or an errno the kernel uses, and
// once every fd is closed no page may stay pinned (ASan/LSan watch the
// rest).
#include "fd_rig.h"

#include <set>
#include <vector>

namespace
{

struct Guard {
	std::vector<std::pair<uintptr_t, size_t>> ok;
	bool Allowed(uint64_t p, size_t n) const
	{
		for (auto &r : ok)
			if (p >= r.first && n <= r.second && p - r.first <= r.second - n)
				return true;
		return false;
	}
};
Guard *g_guard;

int GuardedFrom(void *, uint64_t uptr, void *buf, size_t len)
{
	if (!g_guard->Allowed(uptr, len))
		return 1;
	memcpy(buf, (const void *)(uintptr_t)uptr, len);
	return 0;
}
int GuardedTo(void *, uint64_t uptr, const void *buf, size_t len)
{
	if (!g_guard->Allowed(uptr, len))
		return 1;
	memcpy((void *)(uintptr_t)uptr, buf, len);
	return 0;
}

struct Rng {
	uint64_t s;
	uint64_t Next()
	{
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		return s;
	}
	uint64_t Below(uint64_t n) { return Next() % n; }
};

class FdFuzz : public ::testing::TestWithParam<uint64_t>
{
};

TEST_P(FdFuzz, RandomIoctlsKeepTheKernelConsistent)
{
	ShimRig r;
	r.Build(2);
	Guard guard;
	g_guard = &guard;
	shim_host_ops ops = r.hops;
	ops.copy_from_user = GuardedFrom;
	ops.copy_to_user = GuardedTo;
	shim_config cfg;
	shim_config_default(&cfg);
	cfg.dram_base = ShimRig::kDramBase;
	cfg.dram_size = r.dram_size;
	shim *k = nullptr;
	ASSERT_EQ(SHIM_OK, shim_create(&cfg, &ops, &r, &k));
	ASSERT_EQ(0, shim_add_smmu(k));
	ASSERT_EQ(1, shim_add_smmu(k));
	for (int i = 0; i < 3; i++) {
		shim_device_desc d{};
		d.size = sizeof(d);
		std::string name = "d" + std::to_string(i);
		d.name = name.c_str();
		d.smmu = (uint32_t)(i & 1);
		d.sid = 0x10 + (uint32_t)i;
		d.canwbs = true;
		ASSERT_EQ(i, shim_add_device(k, &d));
	}
	ASSERT_EQ(SHIM_OK, shim_boot(k, 1000, nullptr));
	const char *P = "vmm0";
	uint64_t t = 10000;
	std::vector<uint8_t> arg(512), scratch(1 << 16);
	guard.ok = {{(uintptr_t)arg.data(), arg.size()},
	            {(uintptr_t)scratch.data(), scratch.size()}};
	int ifd = shim_open(k, P, "/dev/iommu", t, nullptr);
	int dfd = shim_open(k, P, "/dev/vfio/devices/vfio0", t, nullptr);
	int dfd2 = shim_open(k, P, "/dev/vfio/devices/vfio1", t, nullptr);
	int gfd = shim_open(k, P, "/dev/vfio/2", t, nullptr);
	int cfd = shim_open(k, P, "/dev/vfio/vfio", t, nullptr);
	ASSERT_TRUE(ifd >= 3 && dfd >= 3 && dfd2 >= 3 && gfd >= 3 && cfd >= 3);
	u_bind_iommufd b{};
	b.argsz = sizeof(b);
	b.iommufd = ifd;
	guard.ok.push_back({(uintptr_t)&b, sizeof(b)});
	ASSERT_EQ(0, shim_ioctl(k, P, dfd, VFIO_DEVICE_BIND_IOMMUFD, (uint64_t)(uintptr_t)&b, t,
	                        nullptr));
	uint64_t ram = 0;
	ASSERT_EQ(0, shim_mmap(k, P, 4 << 20, SHIM_PA_ANY, t, &ram, nullptr));
	int fds[] = {ifd, dfd, dfd2, gfd, cfd};
	const std::set<int> known = {0,      EINVAL, E2BIG,     ENOTTY,     ENOENT,
	                             EBUSY,  ENOSPC, EOVERFLOW, EOPNOTSUPP, EFAULT,
	                             EEXIST, EPERM,  ENOMEM,    EADDRINUSE, EMSGSIZE,
	                             EIO,    ENODEV, EBADF,     EBADFD,     EMFILE,
	                             EACCES, ENXIO,  ENOEXEC};
	size_t nreq = 0;
	while (shim_uapi_request_at(nreq))
		nreq++;
	Rng rng{GetParam() * 0x9E3779B97F4A7C15ull + 1};
	int calls = 0, ok = 0;
	for (int it = 0; it < 4000; it++) {
		const shim_uapi_request *q = shim_uapi_request_at(rng.Below(nreq));
		int fd = fds[rng.Below(5)];
		std::fill(arg.begin(), arg.end(), 0);
		uint64_t a = (uint64_t)(uintptr_t)arg.data();
		auto small = [&]() -> uint64_t {
			switch (rng.Below(6)) {
			case 0:
				return 0;
			case 1:
				return rng.Below(12);
			case 2:
				return 1ull << rng.Below(32);
			case 3:
				return ram + (rng.Below(64) << 12);
			case 4:
				return rng.Next();
			default:
				return rng.Below(0x10000) << 12;
			}
		};
		if (q->arg == SHIM_ARG_STRUCT) {
			for (uint32_t i = 0; i < q->nfields; i++) {
				const shim_uapi_field *f = &q->fields[i];
				uint64_t v;
				if (f->flags & SHIM_UF_SIZE)
					v = rng.Below(8) ? q->struct_size : rng.Below(arg.size());
				else if (f->flags & SHIM_UF_UPTR)
					v = rng.Below(4) ? (uint64_t)(uintptr_t)scratch.data() +
					                       rng.Below(64) * 8
					                 : small();
				else if ((f->flags & SHIM_UF_RESERVED) && rng.Below(8))
					v = 0;
				else
					v = small();
				for (uint32_t e = 0; e < f->count; e++)
					memcpy(arg.data() + f->offset + e * f->width, &v, f->width);
			}
		} else if (q->arg == SHIM_ARG_INT) {
			a = rng.Below(12);
		} else if (q->arg == SHIM_ARG_INT_PTR) {
			int32_t v = (int32_t)fds[rng.Below(5)];
			memcpy(arg.data(), &v, 4);
		} else if (q->arg == SHIM_ARG_STRING) {
			const char *s = rng.Below(2) ? "0000:00:02.0" : "bogus";
			memcpy(arg.data(), s, strlen(s) + 1);
		}
		for (size_t i = 0; i < scratch.size(); i += 8)
			if (rng.Below(16) == 0)
				scratch[i] = (uint8_t)rng.Next();
		t += 1000;
		shim_call c{};
		c.size = sizeof(c);
		int64_t rc = shim_ioctl(k, P, fd, q->request, a, t, &c);
		calls++;
		if (rc >= 0) {
			ok++;
			continue;
		}
		EXPECT_TRUE(known.count((int)-rc)) << q->name << " returned " << rc;
		EXPECT_EQ(c.err, (int)-rc);
		EXPECT_GE(c.end_ns, c.start_ns);
	}
	EXPECT_EQ(calls, 4000);
	EXPECT_GT(ok, 0);
	// Close everything: no page may stay pinned.
	for (int fd = 3; fd < 64; fd++)
		shim_close(k, P, fd, t, nullptr);
	struct shim_proc_stats st;
	ASSERT_EQ(0, shim_proc_stats(k, P, &st));
	EXPECT_EQ(st.pinned_vm, 0u);
	EXPECT_EQ(st.locked_user, 0u);
	EXPECT_EQ(st.locked_mm, 0u);
	shim_destroy(k);
	g_guard = nullptr;
}

INSTANTIATE_TEST_SUITE_P(Seeds, FdFuzz, ::testing::Values(1, 2, 3, 4));

} // namespace
