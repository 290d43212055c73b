/*
 * preload.h - the LD_PRELOAD library's parts: the interposer and plain C
 * host (preload.c) and the trace recorder (record.c).
 */
#ifndef SMMUSIM_PRELOAD_H
#define SMMUSIM_PRELOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "shim/shim.h"

struct pl_record;

/* Grow the array *arr (*cap elements of `size` bytes) to hold element
 * `need`, doubling from `first`, the new elements zeroed; false without
 * memory (the array is then as it was). */
bool pl_grow(void *arr, size_t *cap, size_t need, size_t size, size_t first);

/* Whether [va, va + len) is mapped in this process (mincore: a hole fails). */
bool pl_user_mapped(uint64_t va, uint64_t len);

/* Open FILE (gzip when it ends in .gz) and write the trace header: the
 * header records of `header_path` (NULL: none). NULL on failure (reported). */
struct pl_record *pl_record_open(const char *path, const char *header_path);
void pl_record_close(struct pl_record *r);
/* Calls, each written and flushed once it returned. */
void pl_record_open_call(struct pl_record *r, const char *path, int ret);
void pl_record_close_call(struct pl_record *r, int fd, int ret);
/* An ioctl: its input fields are read before the call, its results after.
 * row: the request's table row (NULL: unknown), chosen by the caller - by
 * the fd's kind when the emulator serves, for a number two kinds share. */
void pl_record_ioctl_before(struct pl_record *r, int fd, unsigned long req, uint64_t arg,
                            const struct shim_uapi_request *row);
/* Returns how many new fds the call produced (at most 4 into new_fds). */
int pl_record_ioctl_after(struct pl_record *r, int fd, unsigned long req, uint64_t arg,
                          int64_t ret, int new_fds[4]);
/* The kind of file fd is, as the uAPI table's node names it ("vfio-device"
 * ...), from the call that gave it (an open of a device node, an ioctl
 * returning an fd, a dup); NULL when the recording does not know it. */
const char *pl_record_fd_node(const struct pl_record *r, int fd);
/* The program closed fd, not a device node's: if the recording named it as
 * an eventfd, `close $fN` (ret: 0 or -errno). */
void pl_record_close_own(struct pl_record *r, int fd, int ret);
/* Whether fd is an eventfd of this process (its /proc/self/fd link). */
bool pl_fd_is_eventfd(int fd);
/* fd is a memfd of the program (a shmem or hugetlbfs file): its size */
bool pl_fd_memfd_size(int fd, uint64_t *size);
/* fd newfd is a duplicate of oldfd (dup, dup2, fcntl F_DUPFD). */
void pl_record_dup(struct pl_record *r, int oldfd, int newfd);
/* read(2)/write(2) on a named fd (vEVENTQ and fault-queue records, page
 * responses); ret: bytes or -errno */
void pl_record_read(struct pl_record *r, int fd, const void *buf, size_t len, int64_t ret);
void pl_record_write(struct pl_record *r, int fd, const void *buf, size_t len, int64_t ret);

#endif
