/*
 * uapi_flow.c - a VMM-like program written against the Linux uAPI layouts
 * only (its own struct definitions, as include/uapi/linux/{iommufd,vfio}.h
 * lay them out; none of the simulator's headers), run under
 * libsmmusim_preload.so by tests/preload. It does the nested vIOMMU flow on
 * /dev/iommu + a VFIO cdev and the legacy container flow on /dev/vfio/vfio +
 * a group, and checks what the kernel returns: ids, errnos, GET_HW_INFO.
 *
 *   uapi_flow nested|legacy|kvm|loop N|highfd|foreign|fork|reopen N|shared|irqs|memfd
 * Exit status 0 when every check held; each failed check is printed.
 * The machine (SMMUSIM_TRACE_HEADER): nic0 at /dev/vfio/devices/vfio0 with
 * snoop=enforced; nic1 in group /dev/vfio/7 with bdf 0000:01:00.0.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- iommufd (';' = 0x3b, _IO only) ---- */
#define IOMMU_DESTROY 0x3b80
#define IOMMU_IOAS_ALLOC 0x3b81
#define IOMMU_IOAS_MAP 0x3b85
#define IOMMU_IOAS_UNMAP 0x3b86
#define IOMMU_IOAS_MAP_FILE 0x3b8f
#define IOMMU_HWPT_ALLOC 0x3b89
#define IOMMU_GET_HW_INFO 0x3b8a
#define IOMMU_HWPT_INVALIDATE 0x3b8d
#define IOMMU_VIOMMU_ALLOC 0x3b90
#define IOMMU_VDEVICE_ALLOC 0x3b91
#define IOMMU_FAULT_QUEUE_ALLOC 0x3b8e
#define IOMMU_VEVENTQ_ALLOC 0x3b93

struct destroy_arg {
	uint32_t size, id;
};
struct ioas_alloc {
	uint32_t size, flags, out_ioas_id;
};
struct ioas_map {
	uint32_t size, flags, ioas_id, reserved;
	uint64_t user_va, length, iova;
};
struct ioas_map_file {
	uint32_t size, flags, ioas_id;
	int32_t fd;
	uint64_t start, length, iova;
};
struct ioas_unmap {
	uint32_t size, ioas_id;
	uint64_t iova, length;
};
struct hw_info {
	uint32_t size, flags, dev_id, data_len;
	uint64_t data_uptr;
	uint32_t out_data_type;
	uint8_t out_max_pasid_log2, reserved[3];
	uint64_t out_capabilities;
};
struct hw_info_smmuv3 {
	uint32_t flags, reserved, idr[6], iidr, aidr;
};
struct hwpt_alloc {
	uint32_t size, flags, dev_id, pt_id, out_hwpt_id, reserved, data_type, data_len;
	uint64_t data_uptr;
	uint32_t fault_id, reserved2;
};
struct hwpt_invalidate {
	uint32_t size, hwpt_id;
	uint64_t data_uptr;
	uint32_t data_type, entry_len, entry_num, reserved;
};
struct viommu_alloc {
	uint32_t size, flags, type, dev_id, hwpt_id, out_viommu_id, data_len, reserved;
	uint64_t data_uptr;
};
struct fault_alloc {
	uint32_t size, flags, out_fault_id, out_fault_fd;
};
struct veventq_alloc {
	uint32_t size, flags, viommu_id, type, depth, out_veventq_id, out_veventq_fd, reserved;
};
struct vdevice_alloc {
	uint32_t size, viommu_id, dev_id, out_vdevice_id;
	uint64_t virt_id;
};

/* ---- VFIO ---- */
#define VFIO_GET_API_VERSION 0x3b64
#define VFIO_CHECK_EXTENSION 0x3b65
#define VFIO_SET_IOMMU 0x3b66
#define VFIO_GROUP_GET_STATUS 0x3b67
#define VFIO_GROUP_SET_CONTAINER 0x3b68
#define VFIO_GROUP_GET_DEVICE_FD 0x3b6a
#define VFIO_IOMMU_MAP_DMA 0x3b71
#define VFIO_IOMMU_UNMAP_DMA 0x3b72
#define VFIO_DEVICE_BIND_IOMMUFD 0x3b76
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT 0x3b77
#define VFIO_DEVICE_DETACH_IOMMUFD_PT 0x3b78
#define VFIO_TYPE1v2_IOMMU 3

struct group_status {
	uint32_t argsz, flags;
};
struct dma_map {
	uint32_t argsz, flags;
	uint64_t vaddr, iova, size;
};
struct dma_unmap {
	uint32_t argsz, flags;
	uint64_t iova, size;
};
struct bind_iommufd {
	uint32_t argsz, flags;
	int32_t iommufd;
	uint32_t out_devid;
};
struct attach_pt {
	uint32_t argsz, flags, pt_id, pasid;
};
struct detach_pt {
	uint32_t argsz, flags, pasid;
};

static int failures;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			failures++;                                                                \
			fprintf(stderr, "uapi_flow:%d: check failed: %s: ", __LINE__, #cond);      \
			fprintf(stderr, __VA_ARGS__);                                              \
			fprintf(stderr, " (errno %d %s)\n", errno, strerror(errno));               \
		}                                                                                  \
	} while (0)

/* the call's result and errno, for checks */
static int call(int fd, unsigned long req, void *arg)
{
	errno = 0;
	return ioctl(fd, req, arg);
}

static int nested(void)
{
	int dev = open("/dev/vfio/devices/vfio0", O_RDWR | O_CLOEXEC);
	int ifd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	CHECK(dev >= 3 && ifd >= 3, "open: %d %d", dev, ifd);
	/* an emulated fd is a real fd of this process: fcntl works on it */
	CHECK(fcntl(ifd, F_GETFD) >= 0, "fcntl on the iommufd");

	struct bind_iommufd b = {sizeof(b), 0, ifd, 0};
	CHECK(call(dev, VFIO_DEVICE_BIND_IOMMUFD, &b) == 0, "bind");
	CHECK(b.out_devid != 0, "dev id %u", b.out_devid);
	CHECK(call(dev, VFIO_DEVICE_BIND_IOMMUFD, &b) == -1 && errno == EINVAL, "second bind");

	struct hw_info_smmuv3 idr;
	memset(&idr, 0xa5, sizeof(idr));
	struct hw_info hi = {0};
	hi.size = sizeof(hi);
	hi.dev_id = b.out_devid;
	hi.data_len = sizeof(idr);
	hi.data_uptr = (uint64_t)(uintptr_t)&idr;
	CHECK(call(ifd, IOMMU_GET_HW_INFO, &hi) == 0, "GET_HW_INFO");
	CHECK(hi.out_data_type == 2, "data type %u (ARM_SMMUV3 = 2)", hi.out_data_type);
	CHECK(hi.data_len == sizeof(idr), "data_len %u", hi.data_len);
	CHECK(idr.flags == 0 && idr.reserved == 0, "flags %u", idr.flags);
	CHECK((idr.idr[0] & 1) == 1, "IDR0.S2P %#x", idr.idr[0]);          /* stage 2 */
	CHECK(((idr.idr[0] >> 1) & 1) == 1, "IDR0.S1P %#x", idr.idr[0]);   /* stage 1 */
	CHECK((idr.idr[1] & 0x3f) >= 8, "IDR1.SIDSIZE %#x", idr.idr[1]);
	CHECK(idr.aidr != 0xa5a5a5a5u, "AIDR written");
	hi.dev_id = 0x7777;
	CHECK(call(ifd, IOMMU_GET_HW_INFO, &hi) == -1 && errno == ENOENT, "bad dev id");
	hi.dev_id = b.out_devid;
	hi.size = 8;
	CHECK(call(ifd, IOMMU_GET_HW_INFO, &hi) == -1 && errno == EINVAL, "short struct");

	struct ioas_alloc ia = {sizeof(ia), 0, 0};
	CHECK(call(ifd, IOMMU_IOAS_ALLOC, &ia) == 0 && ia.out_ioas_id, "IOAS_ALLOC");
	size_t len = 2u << 20;
	void *ram = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(ram != MAP_FAILED, "mmap");
	struct ioas_map m = {sizeof(m), 1 | 2 | 4, ia.out_ioas_id, 0, (uint64_t)(uintptr_t)ram,
	                     len, 0x40000000};
	CHECK(call(ifd, IOMMU_IOAS_MAP, &m) == 0, "IOAS_MAP");
	CHECK(call(ifd, IOMMU_IOAS_MAP, &m) == -1 && errno == EEXIST, "IOAS_MAP twice");
	CHECK(call(ifd, IOMMU_IOAS_MAP, (void *)0x10) == -1 && errno == EFAULT, "bad pointer");

	struct hwpt_alloc s2 = {0};
	s2.size = sizeof(s2);
	s2.flags = 1; /* NEST_PARENT */
	s2.dev_id = b.out_devid;
	s2.pt_id = ia.out_ioas_id;
	CHECK(call(ifd, IOMMU_HWPT_ALLOC, &s2) == 0 && s2.out_hwpt_id, "S2 HWPT");
	/* with a domain on the IOAS a map pins at once: an address the program
	 * never mapped is EFAULT (pin_user_pages) */
	struct ioas_map bad = m;
	bad.user_va = 0x10000;
	bad.iova = 0x80000000;
	bad.length = 4096;
	CHECK(call(ifd, IOMMU_IOAS_MAP, &bad) == -1 && errno == EFAULT, "unmapped user_va");
	struct viommu_alloc va = {0};
	va.size = sizeof(va);
	va.type = 1; /* ARM_SMMUV3 */
	va.dev_id = b.out_devid;
	va.hwpt_id = s2.out_hwpt_id;
	CHECK(call(ifd, IOMMU_VIOMMU_ALLOC, &va) == 0 && va.out_viommu_id, "VIOMMU_ALLOC");
	struct vdevice_alloc vd = {sizeof(vd), va.out_viommu_id, b.out_devid, 0, 0x8};
	CHECK(call(ifd, IOMMU_VDEVICE_ALLOC, &vd) == 0 && vd.out_vdevice_id, "VDEVICE_ALLOC");

	/* a vSTE: V=1, Config=S1 translate, S1ContextPtr = IPA 0x4000_0000 */
	uint64_t vste_bad[2] = {0x4000000bull, 0x400000d4ull};
	uint64_t vste[2] = {0x4000000bull, 0xd4ull};
	struct hwpt_alloc n = {0};
	n.size = sizeof(n);
	n.dev_id = b.out_devid;
	n.pt_id = va.out_viommu_id;
	n.data_type = 2; /* ARM_SMMUV3 */
	n.data_len = sizeof(vste);
	n.data_uptr = (uint64_t)(uintptr_t)vste_bad;
	CHECK(call(ifd, IOMMU_HWPT_ALLOC, &n) == -1 && errno == EIO, "bad vSTE");
	n.data_uptr = (uint64_t)(uintptr_t)vste;
	CHECK(call(ifd, IOMMU_HWPT_ALLOC, &n) == 0 && n.out_hwpt_id, "nested HWPT");
	struct attach_pt at = {sizeof(at), 0, n.out_hwpt_id, 0};
	CHECK(call(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at) == 0, "attach nested");

	uint64_t cmd[2] = {0x300000000ull | 0x12, 0x80001001ull}; /* TLBI_NH_VA ASID 3 */
	struct hwpt_invalidate inv = {0};
	inv.size = sizeof(inv);
	inv.hwpt_id = va.out_viommu_id;
	inv.data_uptr = (uint64_t)(uintptr_t)cmd;
	inv.data_type = 1; /* VIOMMU_ARM_SMMUV3 */
	inv.entry_len = sizeof(cmd);
	inv.entry_num = 1;
	CHECK(call(ifd, IOMMU_HWPT_INVALIDATE, &inv) == 0 && inv.entry_num == 1, "invalidate");
	uint64_t badcmd[2] = {0x46, 0}; /* CMD_SYNC is not the guest's to send */
	inv.data_uptr = (uint64_t)(uintptr_t)badcmd;
	inv.entry_num = 1;
	CHECK(call(ifd, IOMMU_HWPT_INVALIDATE, &inv) == -1 && errno == EIO && inv.entry_num == 0,
	      "invalidate with a bad command: entry_num %u", inv.entry_num);

	/* a vEVENTQ and a fault queue: read with nothing queued, a response to
	 * a group that does not exist, a response of the wrong size */
	struct veventq_alloc vq = {sizeof(vq), 0, va.out_viommu_id, 1 /* ARM_SMMUV3 */, 8, 0, 0, 0};
	CHECK(call(ifd, IOMMU_VEVENTQ_ALLOC, &vq) == 0 && vq.out_veventq_fd >= 3, "VEVENTQ_ALLOC");
	uint8_t evbuf[256];
	CHECK(read((int)vq.out_veventq_fd, evbuf, sizeof(evbuf)) == 0, "vEVENTQ read");
	struct fault_alloc fa = {sizeof(fa), 0, 0, 0};
	CHECK(call(ifd, IOMMU_FAULT_QUEUE_ALLOC, &fa) == 0 && fa.out_fault_fd >= 3, "FAULT_QUEUE_ALLOC");
	uint8_t fbuf[80];
	CHECK(read((int)fa.out_fault_fd, fbuf, sizeof(fbuf)) == 0, "fault read");
	uint32_t resp[2] = {5, 0}; /* cookie 5, SUCCESS */
	CHECK(write((int)fa.out_fault_fd, resp, sizeof(resp)) == -1 && errno == EINVAL, "fault write");
	CHECK(write((int)fa.out_fault_fd, resp, 5) == -1 && errno == ESPIPE, "fault write of 5");
	/* readiness as Linux's file ops give it: nothing queued, so the
	 * vEVENTQ is not readable and a wait on it times out; the fault queue
	 * is writable only; the iommufd (no poll op) is always ready; epoll and
	 * select see the same through the queues' placeholders */
	struct pollfd pf[3] = {{(int)vq.out_veventq_fd, POLLIN, 0},
	                       {(int)fa.out_fault_fd, POLLIN | POLLOUT, 0},
	                       {ifd, POLLIN | POLLOUT, 0}};
	CHECK(poll(pf, 3, 0) == 2 && pf[0].revents == 0 && pf[1].revents == POLLOUT &&
	          pf[2].revents == (POLLIN | POLLOUT),
	      "poll: %d %d %d", pf[0].revents, pf[1].revents, pf[2].revents);
	CHECK(poll(pf, 1, 20) == 0 && pf[0].revents == 0, "poll with a timeout");
	int ep = epoll_create1(0);
	struct epoll_event ev = {EPOLLIN, {.fd = (int)vq.out_veventq_fd}}, out[2];
	CHECK(ep >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, (int)vq.out_veventq_fd, &ev) == 0, "epoll_ctl");
	ev.events = EPOLLIN;
	ev.data.fd = (int)fa.out_fault_fd;
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, (int)fa.out_fault_fd, &ev) == 0, "epoll_ctl fault");
	CHECK(epoll_wait(ep, out, 2, 0) == 0, "epoll: nothing to read");
	close(ep);
	fd_set rd;
	FD_ZERO(&rd);
	FD_SET((int)fa.out_fault_fd, &rd);
	struct timeval tv = {0, 0};
	CHECK(select((int)fa.out_fault_fd + 1, &rd, NULL, NULL, &tv) == 0, "select: nothing to read");
	/* writable: the fault queue (responses go there), not the vEVENTQ
	 * (Linux's vEVENTQ file has no write op: its poll says nothing of it);
	 * a duplicate of the vEVENTQ's fd is the same file */
	int vq2 = dup((int)vq.out_veventq_fd);
	fd_set wr;
	FD_ZERO(&wr);
	FD_SET((int)vq.out_veventq_fd, &wr);
	FD_SET(vq2, &wr);
	FD_SET((int)fa.out_fault_fd, &wr);
	int top = vq2 > (int)fa.out_fault_fd ? vq2 : (int)fa.out_fault_fd;
	top = top > (int)vq.out_veventq_fd ? top : (int)vq.out_veventq_fd;
	CHECK(vq2 >= 3 && select(top + 1, NULL, &wr, NULL, &tv) == 1 &&
	          FD_ISSET((int)fa.out_fault_fd, &wr) && !FD_ISSET((int)vq.out_veventq_fd, &wr) &&
	          !FD_ISSET(vq2, &wr),
	      "select: the fault queue writable, the vEVENTQ not");
	ep = epoll_create1(0);
	ev.events = EPOLLIN | EPOLLOUT;
	ev.data.fd = vq2;
	CHECK(ep >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, vq2, &ev) == 0 && epoll_wait(ep, out, 2, 0) == 0,
	      "epoll: the vEVENTQ neither readable nor writable");
	close(ep);
	close(vq2);
	close((int)vq.out_veventq_fd);
	close((int)fa.out_fault_fd);

	struct destroy_arg d = {sizeof(d), s2.out_hwpt_id};
	CHECK(call(ifd, IOMMU_DESTROY, &d) == -1 && errno == EBUSY, "destroy a parent in use");
	struct detach_pt dt = {sizeof(dt), 0, 0};
	CHECK(call(dev, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt) == 0, "detach");
	d.id = n.out_hwpt_id;
	CHECK(call(ifd, IOMMU_DESTROY, &d) == 0, "destroy nested");
	d.id = vd.out_vdevice_id;
	CHECK(call(ifd, IOMMU_DESTROY, &d) == 0, "destroy vdevice");
	struct ioas_unmap u = {sizeof(u), ia.out_ioas_id, 0x40000000, len};
	CHECK(call(ifd, IOMMU_IOAS_UNMAP, &u) == 0 && u.length == len, "IOAS_UNMAP");
	CHECK(call(ifd, 0x3bff, &u) == -1 && errno == ENOTTY, "unknown request");
	/* dup keeps the open file; closing one copy leaves the other usable */
	int ifd2 = dup(ifd);
	CHECK(ifd2 >= 3, "dup");
	CHECK(close(ifd) == 0, "close");
	struct ioas_alloc ia2 = {sizeof(ia2), 0, 0};
	CHECK(call(ifd2, IOMMU_IOAS_ALLOC, &ia2) == 0, "IOAS_ALLOC on the dup");
	CHECK(close(dev) == 0 && close(ifd2) == 0, "close");
	CHECK(close(ifd2) == -1 && errno == EBADF, "close twice");
	munmap(ram, len);
	return failures;
}

static int legacy(void)
{
	int c = open("/dev/vfio/vfio", O_RDWR);
	CHECK(c >= 3, "open container");
	CHECK(call(c, VFIO_GET_API_VERSION, NULL) == 0, "API version");
	CHECK(ioctl(c, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) == 1, "TYPE1v2");
	CHECK(ioctl(c, VFIO_CHECK_EXTENSION, 6) == 0, "extension 6");
	errno = 0;
	CHECK(ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) == -1 && errno == EINVAL, "no group");
	int g = open("/dev/vfio/7", O_RDWR);
	CHECK(g >= 3, "open group");
	struct group_status st = {sizeof(st), 0};
	CHECK(call(g, VFIO_GROUP_GET_STATUS, &st) == 0 && st.flags == 1, "status %u", st.flags);
	CHECK(call(g, VFIO_GROUP_SET_CONTAINER, &c) == 0, "set container");
	CHECK(call(g, VFIO_GROUP_GET_STATUS, &st) == 0 && st.flags == 3, "status %u", st.flags);
	CHECK(ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) == 0, "set iommu");
	size_t len = 2u << 20;
	void *buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct dma_map dm = {sizeof(dm), 3, (uint64_t)(uintptr_t)buf, 0x100000, len};
	CHECK(call(c, VFIO_IOMMU_MAP_DMA, &dm) == 0, "MAP_DMA");
	dm.size = 4096;
	CHECK(call(c, VFIO_IOMMU_MAP_DMA, &dm) == -1 && errno == EEXIST, "MAP_DMA overlap");
	int d = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, "0000:01:00.0");
	CHECK(d >= 3, "device fd %d", d);
	errno = 0;
	CHECK(ioctl(g, VFIO_GROUP_GET_DEVICE_FD, "0000:09:00.0") == -1 && errno == ENODEV, "bdf");
	struct dma_unmap du = {sizeof(du), 0, 0x100000, len};
	CHECK(call(c, VFIO_IOMMU_UNMAP_DMA, &du) == 0 && du.size == len, "UNMAP_DMA %llu",
	      (unsigned long long)du.size);
	CHECK(close(d) == 0 && close(g) == 0 && close(c) == 0, "close");
	munmap(buf, len);
	return failures;
}

/* KVM: a VM and a vCPU are served; running it is not (the emulation has no
 * CPU): KVM_RUN fails as Linux fails an unsupported vCPU request (arm64
 * kvm_arch_vcpu_ioctl: EINVAL) and the vCPU's mmap with ENODEV. */
#define KVM_GET_API_VERSION 0xae00
#define KVM_CREATE_VM 0xae01
#define KVM_CREATE_VCPU 0xae41
#define KVM_RUN 0xae80
static int kvm(void)
{
	int k = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	CHECK(k >= 3, "open /dev/kvm");
	CHECK(ioctl(k, KVM_GET_API_VERSION, 0) == 12, "KVM API version");
	int vm = ioctl(k, KVM_CREATE_VM, 0);
	CHECK(vm >= 3, "KVM_CREATE_VM %d", vm);
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	CHECK(vcpu >= 3, "KVM_CREATE_VCPU %d", vcpu);
	errno = 0;
	CHECK(ioctl(vcpu, KVM_RUN, 0) == -1 && errno == ENOEXEC, "KVM_RUN"); /* never initialised */
	CHECK(ioctl(k, 0xae04 /* KVM_GET_VCPU_MMAP_SIZE */, 0) == 8192, "KVM_GET_VCPU_MMAP_SIZE");
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	CHECK(p == MAP_FAILED && errno == ENODEV, "vCPU mmap");
	CHECK(close(vcpu) == 0 && close(vm) == 0 && close(k) == 0, "close");
	return failures;
}

/* A new IOAS of ifd, dev bound to ifd and attached to it: its id. */
static uint32_t attached_ioas(int ifd, int dev)
{
	struct ioas_alloc ia = {sizeof(ia), 0, 0};
	CHECK(call(ifd, IOMMU_IOAS_ALLOC, &ia) == 0, "IOAS_ALLOC");
	struct bind_iommufd b = {sizeof(b), 0, ifd, 0};
	CHECK(call(dev, VFIO_DEVICE_BIND_IOMMUFD, &b) == 0, "bind");
	struct attach_pt at = {sizeof(at), 0, ia.out_ioas_id, 0};
	CHECK(call(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at) == 0, "attach");
	return ia.out_ioas_id;
}

/* map/unmap churn for the benchmark: N pairs on an IOAS that nic0 is
 * attached to (each unmap invalidates) */
static int loop(long n)
{
	int ifd = open("/dev/iommu", O_RDWR);
	int dev = open("/dev/vfio/devices/vfio0", O_RDWR);
	uint32_t ioas = attached_ioas(ifd, dev);
	void *buf = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (long i = 0; i < n && !failures; i++) {
		struct ioas_map m = {sizeof(m), 1 | 2 | 4, ioas, 0,
		                     (uint64_t)(uintptr_t)buf, 65536, 0x100000};
		CHECK(call(ifd, IOMMU_IOAS_MAP, &m) == 0, "map %ld", i);
		struct ioas_unmap u = {sizeof(u), ioas, 0x100000, 65536};
		CHECK(call(ifd, IOMMU_IOAS_UNMAP, &u) == 0, "unmap %ld", i);
	}
	close(dev);
	close(ifd);
	return failures;
}

/* N opens and closes of /dev/iommu, each with an IOAS (the recorder names
 * every open anew) */
static int reopen(long n)
{
	for (long i = 0; i < n && !failures; i++) {
		int ifd = open("/dev/iommu", O_RDWR);
		CHECK(ifd >= 0, "open %ld", i);
		struct ioas_alloc ia = {sizeof(ia), 0, 0};
		CHECK(call(ifd, IOMMU_IOAS_ALLOC, &ia) == 0, "IOAS_ALLOC %ld", i);
		CHECK(close(ifd) == 0, "close %ld", i);
	}
	return failures;
}

/* device fds numbered past 4096 (the program holds 4200 files of its own
 * first): recorded by name like any other */
static int highfd(void)
{
	int null = open("/dev/null", O_RDWR);
	int held[4200], nheld = 0;
	while (nheld < 4200 && (held[nheld] = dup(null)) >= 0)
		nheld++;
	CHECK(nheld == 4200, "dup %d", nheld);
	int ifd = open("/dev/iommu", O_RDWR);
	int dev = open("/dev/vfio/devices/vfio0", O_RDWR);
	CHECK(ifd > 4096 && dev > 4096, "open %d %d", ifd, dev);
	attached_ioas(ifd, dev);
	close(dev);
	close(ifd);
	for (int i = 0; i < nheld; i++)
		close(held[i]);
	close(null);
	return failures;
}

/* the program's own files (not device nodes) where a request takes an fd:
 * the errno Linux gives a file of the wrong kind, EBADF for no file */
#define KVM_CREATE_DEVICE_ 0xc00caee0
#define KVM_SET_DEVICE_ATTR_ 0x4018aee1
struct create_device {
	uint32_t type, fd, flags;
};
struct device_attr {
	uint32_t flags, group;
	uint64_t attr, addr;
};
static int foreign(void)
{
	int null = open("/dev/null", O_RDWR);
	int dev = open("/dev/vfio/devices/vfio0", O_RDWR);
	CHECK(null >= 3 && dev >= 3, "open");
	struct bind_iommufd b = {sizeof(b), 0, null, 0};
	CHECK(call(dev, VFIO_DEVICE_BIND_IOMMUFD, &b) == -1 && errno == EBADFD, "bind /dev/null");
	b.iommufd = 1000;
	CHECK(call(dev, VFIO_DEVICE_BIND_IOMMUFD, &b) == -1 && errno == EBADF, "bind no fd");
	int k = open("/dev/kvm", O_RDWR);
	int vm = ioctl(k, KVM_CREATE_VM, 0);
	struct create_device cd = {4 /* KVM_DEV_TYPE_VFIO */, 0, 0};
	CHECK(vm >= 3 && ioctl(vm, KVM_CREATE_DEVICE_, &cd) == 0, "KVM_CREATE_DEVICE");
	int32_t nfd = null;
	struct device_attr a = {0, 1 /* KVM_DEV_VFIO_FILE */, 1 /* ADD */, (uint64_t)(uintptr_t)&nfd};
	CHECK(ioctl((int)cd.fd, KVM_SET_DEVICE_ATTR_, &a) == -1 && errno == EINVAL, "FILE_ADD /dev/null");
	a.attr = 2; /* DEL */
	CHECK(ioctl((int)cd.fd, KVM_SET_DEVICE_ATTR_, &a) == -1 && errno == ENOENT, "FILE_DEL /dev/null");
	nfd = 1000;
	CHECK(ioctl((int)cd.fd, KVM_SET_DEVICE_ATTR_, &a) == -1 && errno == EBADF, "FILE_DEL no fd");
	close((int)cd.fd);
	close(vm);
	close(k);
	/* VFIO_DEVICE_SET_IRQS of the REQ interrupt: the program's eventfd is
	 * one (eventfd_ctx_fdget), /dev/null is not (EINVAL) */
	int ifd = open("/dev/iommu", O_RDWR);
	b.iommufd = ifd;
	CHECK(call(dev, VFIO_DEVICE_BIND_IOMMUFD, &b) == 0, "bind");
	int efd = eventfd(0, 0);
	struct {
		uint32_t argsz, flags, index, start, count;
		int32_t fd;
	} is = {24, 4 | 0x20 /* DATA_EVENTFD | ACTION_TRIGGER */, 4 /* REQ */, 0, 1, efd};
	CHECK(efd >= 3 && call(dev, 0x3b6e, &is) == 0, "SET_IRQS eventfd");
	is.flags = 1 | 0x20; /* DATA_NONE, count 0: release it */
	is.count = 0;
	CHECK(call(dev, 0x3b6e, &is) == 0, "SET_IRQS release");
	CHECK(call(dev, 0x3b6e, &is) == -1 && errno == EINVAL, "SET_IRQS release twice");
	is.flags = 4 | 0x20;
	is.count = 1;
	is.fd = null;
	CHECK(call(dev, 0x3b6e, &is) == -1 && errno == EINVAL, "SET_IRQS /dev/null");
	/* IOMMU_IOAS_MAP_FILE pins shmem files only (memfd_pin_folios) */
	struct ioas_alloc ia = {sizeof(ia), 0, 0};
	CHECK(call(ifd, IOMMU_IOAS_ALLOC, &ia) == 0, "IOAS_ALLOC");
	struct ioas_map_file mf = {sizeof(mf), 2 | 4, ia.out_ioas_id, null, 0, 4096, 0};
	CHECK(call(ifd, IOMMU_IOAS_MAP_FILE, &mf) == -1 && errno == EINVAL, "MAP_FILE of /dev/null");
	close(efd);
	close(dev);
	close(ifd);
	close(null);
	return failures;
}

/* guest RAM in the program's own memfd, as QEMU's memory-backend-memfd:
 * IOMMU_IOAS_MAP_FILE pins it (memfd_pin_folios), a dup of it is the same
 * file, its end is its size; other files are refused */
static int memfd(void)
{
	int ifd = open("/dev/iommu", O_RDWR);
	struct ioas_alloc ia = {sizeof(ia), 0, 0};
	CHECK(ifd >= 3 && call(ifd, IOMMU_IOAS_ALLOC, &ia) == 0, "IOAS_ALLOC");
	int ram = memfd_create("guest-ram", MFD_CLOEXEC);
	CHECK(ram >= 3 && ftruncate(ram, 2 << 20) == 0, "memfd_create");
	uint8_t *p = mmap(NULL, 2 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, ram, 0);
	CHECK(p != MAP_FAILED, "mmap of the memfd");
	if (p != MAP_FAILED)
		p[0] = 1;
	struct ioas_map_file m = {sizeof(m), 1 | 2 | 4 /* FIXED_IOVA|WRITEABLE|READABLE */,
				  ia.out_ioas_id, ram, 0, 1 << 20, 0x100000};
	CHECK(call(ifd, IOMMU_IOAS_MAP_FILE, &m) == 0, "MAP_FILE");
	int dup_ram = dup(ram);
	struct ioas_map_file d = m;
	d.fd = dup_ram;
	d.start = 1 << 20;
	d.iova = 0x200000;
	CHECK(call(ifd, IOMMU_IOAS_MAP_FILE, &d) == 0, "MAP_FILE of a dup");
	d.iova = 0x400000;
	d.length = 2 << 20; /* 1M..3M: past the end */
	CHECK(call(ifd, IOMMU_IOAS_MAP_FILE, &d) == -1 && errno == EINVAL, "MAP_FILE past the end");
	CHECK(ftruncate(ram, 4 << 20) == 0, "ftruncate");
	CHECK(call(ifd, IOMMU_IOAS_MAP_FILE, &d) == 0, "MAP_FILE after it grew");
	d.flags = 2 | 4; /* IOVA allocated */
	d.start = 0;
	d.length = 4096;
	CHECK(call(ifd, IOMMU_IOAS_MAP_FILE, &d) == 0 && d.iova, "MAP_FILE at an allocated IOVA");
	d.fd = ifd;
	CHECK(call(ifd, IOMMU_IOAS_MAP_FILE, &d) == -1 && errno == EINVAL, "MAP_FILE of the iommufd");
	d.fd = 1000;
	CHECK(call(ifd, IOMMU_IOAS_MAP_FILE, &d) == -1 && errno == EBADF, "MAP_FILE of no file");
	struct ioas_unmap u = {sizeof(u), ia.out_ioas_id, 0, UINT64_MAX};
	CHECK(call(ifd, IOMMU_IOAS_UNMAP, &u) == 0 && u.length == (4u << 20) + 4096,
	      "IOAS_UNMAP of everything");
	close(dup_ram);
	if (p != MAP_FAILED)
		munmap(p, 2 << 20);
	close(ram);
	close(ifd);
	return failures;
}

/* a child forked after the parent opened /dev/iommu makes calls of its
 * own; the parent goes on once it has exited */
static int forked(void)
{
	int ifd = open("/dev/iommu", O_RDWR);
	CHECK(ifd >= 3, "open");
	pid_t pid = fork();
	if (pid == 0) {
		int c = open("/dev/iommu", O_RDWR);
		struct ioas_alloc ca = {sizeof(ca), 0, 0};
		_exit(c >= 3 && call(c, IOMMU_IOAS_ALLOC, &ca) == 0 ? 0 : 1);
	}
	int ws = 0;
	CHECK(pid > 0 && waitpid(pid, &ws, 0) == pid && WIFEXITED(ws) && WEXITSTATUS(ws) == 0,
	      "child");
	struct ioas_alloc ia = {sizeof(ia), 0, 0};
	CHECK(call(ifd, IOMMU_IOAS_ALLOC, &ia) == 0, "IOAS_ALLOC");
	close(ifd);
	return failures;
}

/*
 * The ERR and REQ interrupts of a bound device through the program's
 * eventfds (vfio-pci's err and req triggers), one closed and a new one
 * (likely at its number) set in its place, then the REQ trigger released.
 */
static int irqs(void)
{
	int failures = 0;
	int dev = open("/dev/vfio/devices/vfio0", O_RDWR), ifd = open("/dev/iommu", O_RDWR);
	CHECK(dev >= 3 && ifd >= 3, "open");
	struct bind_iommufd b = {sizeof(b), 0, ifd, 0};
	CHECK(call(dev, VFIO_DEVICE_BIND_IOMMUFD, &b) == 0, "bind");
	int err = eventfd(0, EFD_NONBLOCK), req = eventfd(0, EFD_NONBLOCK);
	struct {
		uint32_t argsz, flags, index, start, count;
		int32_t fd;
	} is = {24, 4 | 0x20 /* DATA_EVENTFD | ACTION_TRIGGER */, 3 /* ERR */, 0, 1, err};
	CHECK(err >= 3 && call(dev, 0x3b6e, &is) == 0, "SET_IRQS ERR");
	is.index = 4; /* REQ */
	is.fd = req;
	CHECK(req >= 3 && call(dev, 0x3b6e, &is) == 0, "SET_IRQS REQ");
	close(err);
	err = eventfd(0, EFD_NONBLOCK);
	is.index = 3;
	is.fd = err;
	CHECK(err >= 3 && call(dev, 0x3b6e, &is) == 0, "SET_IRQS ERR again");
	is.flags = 1 | 0x20; /* DATA_NONE, count 0: release */
	is.index = 4;
	is.count = 0;
	CHECK(call(dev, 0x3b6e, &is) == 0, "SET_IRQS REQ release");
	close(req);
	close(err);
	close(dev);
	close(ifd);
	return failures;
}

/*
 * Request numbers two kinds of file share (VFIO_IOMMU_GET_INFO is
 * VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, VFIO_IOMMU_MAP_DMA is
 * VFIO_DEVICE_PCI_HOT_RESET), each on a file of each kind - the device's
 * through a dup too. Whatever the kernel answers: the recording must name
 * each call by its file's kind.
 */
#define VFIO_IOMMU_GET_INFO 0x3b70
#define VFIO_DEVICE_GET_PCI_HOT_RESET_INFO 0x3b70
#define VFIO_DEVICE_PCI_HOT_RESET 0x3b71
static int shared(void)
{
	int failures = 0;
	int c = open("/dev/vfio/vfio", O_RDWR), d = open("/dev/vfio/devices/vfio0", O_RDWR);
	CHECK(c >= 3 && d >= 3, "open: %d %d", c, d);
	if (failures)
		return failures;
	uint32_t info[4] = {sizeof(info)};     /* argsz, flags, iova_pgsizes */
	uint32_t hri[4] = {sizeof(hri)};       /* argsz, flags, count */
	uint32_t hr[4] = {sizeof(hr)};         /* argsz, flags, count */
	struct dma_map dm = {sizeof(dm), 3, 0, 0x100000, 0x1000};
	ioctl(c, VFIO_IOMMU_GET_INFO, info);
	ioctl(d, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, hri);
	int d2 = dup(d);
	CHECK(d2 >= 3, "dup: %d", d2);
	ioctl(d2, VFIO_DEVICE_PCI_HOT_RESET, hr);
	ioctl(c, VFIO_IOMMU_MAP_DMA, &dm);
	close(d2);
	close(d);
	close(c);
	return failures;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: uapi_flow nested|legacy|kvm|loop N|reopen N\n");
		return 2;
	}
	int rc;
	if (!strcmp(argv[1], "nested"))
		rc = nested();
	else if (!strcmp(argv[1], "legacy"))
		rc = legacy();
	else if (!strcmp(argv[1], "kvm"))
		rc = kvm();
	else if (!strcmp(argv[1], "loop") && argc > 2)
		rc = loop(atol(argv[2]));
	else if (!strcmp(argv[1], "highfd"))
		rc = highfd();
	else if (!strcmp(argv[1], "foreign"))
		rc = foreign();
	else if (!strcmp(argv[1], "fork"))
		rc = forked();
	else if (!strcmp(argv[1], "reopen") && argc > 2)
		rc = reopen(atol(argv[2]));
	else if (!strcmp(argv[1], "shared"))
		rc = shared();
	else if (!strcmp(argv[1], "memfd"))
		rc = memfd();
	else if (!strcmp(argv[1], "irqs"))
		rc = irqs();
	else
		return 2;
	if (!rc)
		printf("uapi_flow %s: ok\n", argv[1]);
	return rc ? 1 : 0;
}
