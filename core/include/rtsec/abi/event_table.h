/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * The one event table. Every event type rtsec knows, with its parameters in
 * wire order; drivers capture from it and the decoder reads with it.
 *
 * RTSEC_EVENT_TABLE(EVENT, P) calls, per row,
 *   EVENT(id, NAME, name, x86_64_nr, category, flags, P(...) P(...) ...)
 * and per parameter
 *   P(name, type, fmt, source, arg, aux, param_flags)
 * with type RTSEC_PT_<type>, fmt RTSEC_PF_<fmt>, source RTSEC_SRC_<source>.
 * "arg" is an argument index (0..5); "aux" a second argument index or a byte
 * offset, as enum rtsec_param_source says.
 *
 * Evolution (docs/ABI.md): ids never change and are never reused; rows and
 * parameters are only appended (a minor bump). Anything else is a major bump.
 */
#ifndef RTSEC_ABI_EVENT_TABLE_H
#define RTSEC_ABI_EVENT_TABLE_H

#include "event.h"

/* Shorthands for the rows below. */
#define RTSEC_P_RES(P) P(res, ERRNO, DEC, RET, 0, 0, 0)
#define RTSEC_P_NEWFD(P) P(fd, FD, DEC, RET, 0, 0, 0)
#define RTSEC_P_FD(P, name, i) P(name, FD, DEC, ARG, i, 0, 0)
#define RTSEC_P_PATH(P, name, i) P(name, PATH, DEC, ARG_STR, i, 0, 0)
#define RTSEC_P_FILE_ID(P) \
	P(dev, DEV, HEX, RET_FILE_DEV, 0, 0, RTSEC_PARAM_IF_SUCCESS) \
	P(ino, U64, DEC, RET_FILE_INO, 0, 0, RTSEC_PARAM_IF_SUCCESS)
/* exec: what the new image is, read from the task after a successful exec */
#define RTSEC_P_EXEC(P) \
	RTSEC_P_RES(P) \
	P(exepath, PATH, DEC, TASK_EXEPATH, 0, 0, RTSEC_PARAM_IF_SUCCESS) \
	P(args, CHARBUF_ARRAY, DEC, TASK_ARGV, 0, 0, RTSEC_PARAM_IF_SUCCESS) \
	P(cwd, PATH, DEC, TASK_CWD, 0, 0, 0) \
	P(uid, UID, DEC, TASK_UID, 0, 0, 0) \
	P(gid, GID, DEC, TASK_GID, 0, 0, 0) \
	P(euid, UID, DEC, TASK_EUID, 0, 0, 0) \
	P(loginuid, UID, DEC, TASK_LOGINUID, 0, 0, 0) \
	P(tty, DEV, HEX, TASK_TTY, 0, 0, 0) \
	P(ppid, PID, DEC, TASK_PPID, 0, 0, 0) \
	P(cgroup, CHARBUF, DEC, TASK_CGROUP, 0, 0, 0) \
	P(comm, CHARBUF, DEC, TASK_COMM, 0, 0, 0)
/* fork family: res is the child's tid in the parent, 0 in the child */
#define RTSEC_P_FORK(P) \
	P(res, PID, DEC, RET, 0, 0, 0) \
	P(ppid, PID, DEC, TASK_PPID, 0, 0, 0) \
	P(comm, CHARBUF, DEC, TASK_COMM, 0, 0, 0) \
	P(uid, UID, DEC, TASK_UID, 0, 0, 0) \
	P(gid, GID, DEC, TASK_GID, 0, 0, 0)

#define RTSEC_SOCKADDR(P, name, i, len) P(name, SOCKADDR, DEC, ARG_SOCKADDR, i, len, 0)
#define RTSEC_SOCKADDR_OUT(P, name, i, lenp) \
	P(name, SOCKADDR, DEC, ARG_SOCKADDR_PLEN, i, lenp, RTSEC_PARAM_IF_SUCCESS)

#define RTSEC_EVENT_TABLE(EVENT, P) \
	/* ---- files ---- */ \
	EVENT(1, OPEN, open, 2, FILE, RTSEC_EF_CREATES_FD | RTSEC_EF_MODIFIES_STATE, \
	      RTSEC_P_NEWFD(P) RTSEC_P_PATH(P, name, 0) \
	      P(flags, U32, OPEN_FLAGS, ARG, 1, 0, 0) P(mode, U32, OCT, ARG, 2, 0, 0) \
	      RTSEC_P_FILE_ID(P)) \
	EVENT(2, OPENAT, openat, 257, FILE, RTSEC_EF_CREATES_FD | RTSEC_EF_MODIFIES_STATE, \
	      RTSEC_P_NEWFD(P) RTSEC_P_FD(P, dirfd, 0) RTSEC_P_PATH(P, name, 1) \
	      P(flags, U32, OPEN_FLAGS, ARG, 2, 0, 0) P(mode, U32, OCT, ARG, 3, 0, 0) \
	      RTSEC_P_FILE_ID(P)) \
	EVENT(3, OPENAT2, openat2, 437, FILE, RTSEC_EF_CREATES_FD | RTSEC_EF_MODIFIES_STATE, \
	      RTSEC_P_NEWFD(P) RTSEC_P_FD(P, dirfd, 0) RTSEC_P_PATH(P, name, 1) \
	      P(flags, U32, OPEN_FLAGS, ARG_U64_AT, 2, 0, 0) \
	      P(mode, U32, OCT, ARG_U64_AT, 2, 8, 0) \
	      P(resolve, U32, HEX, ARG_U64_AT, 2, 16, 0) \
	      RTSEC_P_FILE_ID(P)) \
	EVENT(4, CREAT, creat, 85, FILE, RTSEC_EF_CREATES_FD | RTSEC_EF_MODIFIES_STATE, \
	      RTSEC_P_NEWFD(P) RTSEC_P_PATH(P, name, 0) P(mode, U32, OCT, ARG, 1, 0, 0) \
	      RTSEC_P_FILE_ID(P)) \
	EVENT(5, CLOSE, close, 3, FILE, RTSEC_EF_DESTROYS_FD | RTSEC_EF_MODIFIES_STATE, \
	      RTSEC_P_RES(P) RTSEC_P_FD(P, fd, 0)) \
	EVENT(6, DUP, dup, 32, FILE, RTSEC_EF_CREATES_FD | RTSEC_EF_MODIFIES_STATE, \
	      RTSEC_P_NEWFD(P) RTSEC_P_FD(P, oldfd, 0)) \
	EVENT(7, DUP2, dup2, 33, FILE, RTSEC_EF_CREATES_FD | RTSEC_EF_MODIFIES_STATE, \
	      RTSEC_P_NEWFD(P) RTSEC_P_FD(P, oldfd, 0) RTSEC_P_FD(P, newfd, 1)) \
	EVENT(8, DUP3, dup3, 292, FILE, RTSEC_EF_CREATES_FD | RTSEC_EF_MODIFIES_STATE, \
	      RTSEC_P_NEWFD(P) RTSEC_P_FD(P, oldfd, 0) RTSEC_P_FD(P, newfd, 1) \
	      P(flags, U32, OPEN_FLAGS, ARG, 2, 0, 0)) \
	EVENT(9, FCNTL, fcntl, 72, FILE, RTSEC_EF_USES_FD | RTSEC_EF_MODIFIES_STATE, \
	      P(res, S64, DEC, RET, 0, 0, 0) RTSEC_P_FD(P, fd, 0) \
	      P(cmd, U32, FCNTL_CMD, ARG, 1, 0, 0) P(arg, S64, DEC, ARG, 2, 0, 0)) \
	EVENT(10, READ, read, 0, FILE, RTSEC_EF_USES_FD, \
	      RTSEC_P_RES(P) RTSEC_P_FD(P, fd, 0) P(size, U64, DEC, ARG, 2, 0, 0)) \
	EVENT(11, WRITE, write, 1, FILE, RTSEC_EF_USES_FD, \
	      RTSEC_P_RES(P) RTSEC_P_FD(P, fd, 0) P(size, U64, DEC, ARG, 2, 0, 0)) \
	EVENT(12, PREAD64, pread64, 17, FILE, RTSEC_EF_USES_FD, \
	      RTSEC_P_RES(P) RTSEC_P_FD(P, fd, 0) P(size, U64, DEC, ARG, 2, 0, 0) \
	      P(pos, S64, DEC, ARG, 3, 0, 0)) \
	EVENT(13, PWRITE64, pwrite64, 18, FILE, RTSEC_EF_USES_FD, \
	      RTSEC_P_RES(P) RTSEC_P_FD(P, fd, 0) P(size, U64, DEC, ARG, 2, 0, 0) \
	      P(pos, S64, DEC, ARG, 3, 0, 0)) \
	EVENT(14, READV, readv, 19, FILE, RTSEC_EF_USES_FD, \
	      RTSEC_P_RES(P) RTSEC_P_FD(P, fd, 0) P(iovcnt, U32, DEC, ARG, 2, 0, 0)) \
	EVENT(15, WRITEV, writev, 20, FILE, RTSEC_EF_USES_FD, \
	      RTSEC_P_RES(P) RTSEC_P_FD(P, fd, 0) P(iovcnt, U32, DEC, ARG, 2, 0, 0)) \
	EVENT(16, UNLINK, unlink, 87, FILE, 0, RTSEC_P_RES(P) RTSEC_P_PATH(P, path, 0)) \
	EVENT(17, UNLINKAT, unlinkat, 263, FILE, 0, \
	      RTSEC_P_RES(P) RTSEC_P_FD(P, dirfd, 0) RTSEC_P_PATH(P, name, 1) \
	      P(flags, U32, AT_FLAGS, ARG, 2, 0, 0)) \
	EVENT(18, RENAME, rename, 82, FILE, 0, \
	      RTSEC_P_RES(P) RTSEC_P_PATH(P, oldpath, 0) RTSEC_P_PATH(P, newpath, 1)) \
	EVENT(19, RENAMEAT, renameat, 264, FILE, 0, \
	      RTSEC_P_RES(P) RTSEC_P_FD(P, olddirfd, 0) RTSEC_P_PATH(P, oldpath, 1) \
	      RTSEC_P_FD(P, newdirfd, 2) RTSEC_P_PATH(P, newpath, 3)) \
	EVENT(20, RENAMEAT2, renameat2, 316, FILE, 0, \
	      RTSEC_P_RES(P) RTSEC_P_FD(P, olddirfd, 0) RTSEC_P_PATH(P, oldpath, 1) \
	      RTSEC_P_FD(P, newdirfd, 2) RTSEC_P_PATH(P, newpath, 3) \
	      P(flags, U32, RENAME_FLAGS, ARG, 4, 0, 0)) \
	EVENT(21, MKDIR, mkdir, 83, FILE, 0, \
	      RTSEC_P_RES(P) RTSEC_P_PATH(P, path, 0) P(mode, U32, OCT, ARG, 1, 0, 0)) \
	EVENT(22, MKDIRAT, mkdirat, 258, FILE, 0, \
	      RTSEC_P_RES(P) RTSEC_P_FD(P, dirfd, 0) RTSEC_P_PATH(P, path, 1) \
	      P(mode, U32, OCT, ARG, 2, 0, 0)) \
	EVENT(23, RMDIR, rmdir, 84, FILE, 0, RTSEC_P_RES(P) RTSEC_P_PATH(P, path, 0)) \
	EVENT(24, LINK, link, 86, FILE, 0, \
	      RTSEC_P_RES(P) RTSEC_P_PATH(P, oldpath, 0) RTSEC_P_PATH(P, newpath, 1)) \
	EVENT(25, LINKAT, linkat, 265, FILE, 0, \
	      RTSEC_P_RES(P) RTSEC_P_FD(P, olddirfd, 0) RTSEC_P_PATH(P, oldpath, 1) \
	      RTSEC_P_FD(P, newdirfd, 2) RTSEC_P_PATH(P, newpath, 3) \
	      P(flags, U32, AT_FLAGS, ARG, 4, 0, 0)) \
	EVENT(26, SYMLINK, symlink, 88, FILE, 0, \
	      RTSEC_P_RES(P) RTSEC_P_PATH(P, target, 0) RTSEC_P_PATH(P, linkpath, 1)) \
	EVENT(27, SYMLINKAT, symlinkat, 266, FILE, 0, \
	      RTSEC_P_RES(P) RTSEC_P_PATH(P, target, 0) RTSEC_P_FD(P, linkdirfd, 1) \
	      RTSEC_P_PATH(P, linkpath, 2)) \
	EVENT(28, CHMOD, chmod, 90, FILE, 0, \
	      RTSEC_P_RES(P) RTSEC_P_PATH(P, filename, 0) P(mode, U32, OCT, ARG, 1, 0, 0)) \
	EVENT(29, FCHMOD, fchmod, 91, FILE, RTSEC_EF_USES_FD, \
	      RTSEC_P_RES(P) RTSEC_P_FD(P, fd, 0) P(mode, U32, OCT, ARG, 1, 0, 0)) \
	EVENT(30, FCHMODAT, fchmodat, 268, FILE, 0, \
	      RTSEC_P_RES(P) RTSEC_P_FD(P, dirfd, 0) RTSEC_P_PATH(P, filename, 1) \
	      P(mode, U32, OCT, ARG, 2, 0, 0)) \
	EVENT(31, CHOWN, chown, 92, FILE, 0, \
	      RTSEC_P_RES(P) RTSEC_P_PATH(P, path, 0) P(uid, UID, DEC, ARG, 1, 0, 0) \
	      P(gid, GID, DEC, ARG, 2, 0, 0)) \
	EVENT(32, FCHOWN, fchown, 93, FILE, RTSEC_EF_USES_FD, \
	      RTSEC_P_RES(P) RTSEC_P_FD(P, fd, 0) P(uid, UID, DEC, ARG, 1, 0, 0) \
	      P(gid, GID, DEC, ARG, 2, 0, 0)) \
	EVENT(33, LCHOWN, lchown, 94, FILE, 0, \
	      RTSEC_P_RES(P) RTSEC_P_PATH(P, path, 0) P(uid, UID, DEC, ARG, 1, 0, 0) \
	      P(gid, GID, DEC, ARG, 2, 0, 0)) \
	EVENT(34, FCHOWNAT, fchownat, 260, FILE, 0, \
	      RTSEC_P_RES(P) RTSEC_P_FD(P, dirfd, 0) RTSEC_P_PATH(P, pathname, 1) \
	      P(uid, UID, DEC, ARG, 2, 0, 0) P(gid, GID, DEC, ARG, 3, 0, 0) \
	      P(flags, U32, AT_FLAGS, ARG, 4, 0, 0)) \
	EVENT(35, CHDIR, chdir, 80, FILE, RTSEC_EF_MODIFIES_STATE, \
	      RTSEC_P_RES(P) RTSEC_P_PATH(P, path, 0)) \
	EVENT(36, FCHDIR, fchdir, 81, FILE, RTSEC_EF_USES_FD | RTSEC_EF_MODIFIES_STATE, \
	      RTSEC_P_RES(P) RTSEC_P_FD(P, fd, 0)) \
	EVENT(37, MOUNT, mount, 165, FILE, 0, \
	      RTSEC_P_RES(P) P(dev, CHARBUF, DEC, ARG_STR, 0, 0, 0) RTSEC_P_PATH(P, dir, 1) \
	      P(type, CHARBUF, DEC, ARG_STR, 2, 0, 0) \
	      P(flags, U32, MOUNT_FLAGS, ARG, 3, 0, 0)) \
	EVENT(38, UMOUNT2, umount2, 166, FILE, 0, \
	      RTSEC_P_RES(P) RTSEC_P_PATH(P, name, 0) \
	      P(flags, U32, UMOUNT_FLAGS, ARG, 1, 0, 0)) \
	EVENT(39, MEMFD_CREATE, memfd_create, 319, FILE, \
	      RTSEC_EF_CREATES_FD | RTSEC_EF_MODIFIES_STATE, \
	      RTSEC_P_NEWFD(P) P(name, CHARBUF, DEC, ARG_STR, 0, 0, 0) \
	      P(flags, U32, MEMFD_FLAGS, ARG, 1, 0, 0)) \
	/* ---- network ---- */ \
	EVENT(40, SOCKET, socket, 41, NET, RTSEC_EF_CREATES_FD | RTSEC_EF_MODIFIES_STATE, \
	      RTSEC_P_NEWFD(P) P(domain, U32, SOCK_FAMILY, ARG, 0, 0, 0) \
	      P(type, U32, SOCK_TYPE, ARG, 1, 0, 0) P(proto, U32, DEC, ARG, 2, 0, 0)) \
	EVENT(41, CONNECT, connect, 42, NET, RTSEC_EF_USES_FD | RTSEC_EF_MODIFIES_STATE, \
	      RTSEC_P_RES(P) RTSEC_P_FD(P, fd, 0) RTSEC_SOCKADDR(P, addr, 1, 2)) \
	EVENT(42, ACCEPT, accept, 43, NET, RTSEC_EF_CREATES_FD | RTSEC_EF_MODIFIES_STATE, \
	      RTSEC_P_NEWFD(P) RTSEC_P_FD(P, sockfd, 0) RTSEC_SOCKADDR_OUT(P, addr, 1, 2)) \
	EVENT(43, ACCEPT4, accept4, 288, NET, RTSEC_EF_CREATES_FD | RTSEC_EF_MODIFIES_STATE, \
	      RTSEC_P_NEWFD(P) RTSEC_P_FD(P, sockfd, 0) RTSEC_SOCKADDR_OUT(P, addr, 1, 2) \
	      P(flags, U32, SOCK_TYPE, ARG, 3, 0, 0)) \
	EVENT(44, BIND, bind, 49, NET, RTSEC_EF_USES_FD | RTSEC_EF_MODIFIES_STATE, \
	      RTSEC_P_RES(P) RTSEC_P_FD(P, fd, 0) RTSEC_SOCKADDR(P, addr, 1, 2)) \
	EVENT(45, LISTEN, listen, 50, NET, RTSEC_EF_USES_FD, \
	      RTSEC_P_RES(P) RTSEC_P_FD(P, fd, 0) P(backlog, S32, DEC, ARG, 1, 0, 0)) \
	EVENT(46, SENDTO, sendto, 44, NET, RTSEC_EF_USES_FD, \
	      RTSEC_P_RES(P) RTSEC_P_FD(P, fd, 0) P(size, U64, DEC, ARG, 2, 0, 0) \
	      RTSEC_SOCKADDR(P, addr, 4, 5)) \
	EVENT(47, SENDMSG, sendmsg, 46, NET, RTSEC_EF_USES_FD, \
	      RTSEC_P_RES(P) RTSEC_P_FD(P, fd, 0) \
	      P(addr, SOCKADDR, DEC, ARG_MSGHDR_ADDR, 1, 0, 0)) \
	EVENT(48, RECVFROM, recvfrom, 45, NET, RTSEC_EF_USES_FD, \
	      RTSEC_P_RES(P) RTSEC_P_FD(P, fd, 0) P(size, U64, DEC, ARG, 2, 0, 0) \
	      RTSEC_SOCKADDR_OUT(P, addr, 4, 5)) \
	EVENT(49, RECVMSG, recvmsg, 47, NET, RTSEC_EF_USES_FD, \
	      RTSEC_P_RES(P) RTSEC_P_FD(P, fd, 0) \
	      P(addr, SOCKADDR, DEC, ARG_MSGHDR_ADDR, 1, 0, RTSEC_PARAM_IF_SUCCESS)) \
	/* ---- identity and privilege ---- */ \
	EVENT(50, SETUID, setuid, 105, PRIV, RTSEC_EF_MODIFIES_STATE, \
	      RTSEC_P_RES(P) P(uid, UID, DEC, ARG, 0, 0, 0)) \
	EVENT(51, SETGID, setgid, 106, PRIV, RTSEC_EF_MODIFIES_STATE, \
	      RTSEC_P_RES(P) P(gid, GID, DEC, ARG, 0, 0, 0)) \
	EVENT(52, SETREUID, setreuid, 113, PRIV, RTSEC_EF_MODIFIES_STATE, \
	      RTSEC_P_RES(P) P(ruid, UID, DEC, ARG, 0, 0, 0) P(euid, UID, DEC, ARG, 1, 0, 0)) \
	EVENT(53, SETREGID, setregid, 114, PRIV, RTSEC_EF_MODIFIES_STATE, \
	      RTSEC_P_RES(P) P(rgid, GID, DEC, ARG, 0, 0, 0) P(egid, GID, DEC, ARG, 1, 0, 0)) \
	EVENT(54, SETRESUID, setresuid, 117, PRIV, RTSEC_EF_MODIFIES_STATE, \
	      RTSEC_P_RES(P) P(ruid, UID, DEC, ARG, 0, 0, 0) P(euid, UID, DEC, ARG, 1, 0, 0) \
	      P(suid, UID, DEC, ARG, 2, 0, 0)) \
	EVENT(55, SETRESGID, setresgid, 119, PRIV, RTSEC_EF_MODIFIES_STATE, \
	      RTSEC_P_RES(P) P(rgid, GID, DEC, ARG, 0, 0, 0) P(egid, GID, DEC, ARG, 1, 0, 0) \
	      P(sgid, GID, DEC, ARG, 2, 0, 0)) \
	/* capset: the low 32 capability bits of each set (struct __user_cap_data_struct[0]) */ \
	EVENT(56, CAPSET, capset, 126, PRIV, RTSEC_EF_MODIFIES_STATE, \
	      RTSEC_P_RES(P) P(cap_effective, U32, HEX, ARG_U64_AT, 1, 0, 0) \
	      P(cap_permitted, U32, HEX, ARG_U64_AT, 1, 4, 0) \
	      P(cap_inheritable, U32, HEX, ARG_U64_AT, 1, 8, 0)) \
	EVENT(57, PTRACE, ptrace, 101, PROCESS, 0, \
	      RTSEC_P_RES(P) P(request, U32, PTRACE_REQ, ARG, 0, 0, 0) \
	      P(pid, PID, DEC, ARG, 1, 0, 0) P(addr, U64, HEX, ARG, 2, 0, 0) \
	      P(data, U64, HEX, ARG, 3, 0, 0)) \
	/* ---- kernel ---- */ \
	EVENT(58, INIT_MODULE, init_module, 175, KERNEL, 0, \
	      RTSEC_P_RES(P) P(length, U64, DEC, ARG, 1, 0, 0) \
	      P(uargs, CHARBUF, DEC, ARG_STR, 2, 0, 0)) \
	EVENT(59, FINIT_MODULE, finit_module, 313, KERNEL, RTSEC_EF_USES_FD, \
	      RTSEC_P_RES(P) RTSEC_P_FD(P, fd, 0) P(uargs, CHARBUF, DEC, ARG_STR, 1, 0, 0) \
	      P(flags, U32, HEX, ARG, 2, 0, 0)) \
	EVENT(60, DELETE_MODULE, delete_module, 176, KERNEL, 0, \
	      RTSEC_P_RES(P) P(name, CHARBUF, DEC, ARG_STR, 0, 0, 0) \
	      P(flags, U32, HEX, ARG, 1, 0, 0)) \
	EVENT(61, BPF, bpf, 321, KERNEL, 0, \
	      P(res, S64, DEC, RET, 0, 0, 0) P(cmd, U32, BPF_CMD, ARG, 0, 0, 0)) \
	EVENT(62, KILL, kill, 62, SIGNAL, 0, \
	      RTSEC_P_RES(P) P(pid, PID, DEC, ARG, 0, 0, 0) P(sig, U32, SIGNAL, ARG, 1, 0, 0)) \
	EVENT(63, TKILL, tkill, 200, SIGNAL, 0, \
	      RTSEC_P_RES(P) P(tid, PID, DEC, ARG, 0, 0, 0) P(sig, U32, SIGNAL, ARG, 1, 0, 0)) \
	EVENT(64, TGKILL, tgkill, 234, SIGNAL, 0, \
	      RTSEC_P_RES(P) P(pid, PID, DEC, ARG, 0, 0, 0) P(tid, PID, DEC, ARG, 1, 0, 0) \
	      P(sig, U32, SIGNAL, ARG, 2, 0, 0)) \
	EVENT(65, PRCTL, prctl, 157, PROCESS, 0, \
	      P(res, S64, DEC, RET, 0, 0, 0) P(option, U32, PRCTL_OPT, ARG, 0, 0, 0) \
	      P(arg2, U64, HEX, ARG, 1, 0, 0)) \
	EVENT(66, UNSHARE, unshare, 272, PROCESS, RTSEC_EF_MODIFIES_STATE, \
	      RTSEC_P_RES(P) P(flags, U32, CLONE_FLAGS, ARG, 0, 0, 0)) \
	EVENT(67, SETNS, setns, 308, PROCESS, RTSEC_EF_USES_FD | RTSEC_EF_MODIFIES_STATE, \
	      RTSEC_P_RES(P) RTSEC_P_FD(P, fd, 0) P(nstype, U32, CLONE_FLAGS, ARG, 1, 0, 0)) \
	EVENT(68, MPROTECT, mprotect, 10, MEMORY, 0, \
	      RTSEC_P_RES(P) P(addr, U64, HEX, ARG, 0, 0, 0) P(length, U64, DEC, ARG, 1, 0, 0) \
	      P(prot, U32, PROT_FLAGS, ARG, 2, 0, 0)) \
	EVENT(69, MMAP, mmap, 9, MEMORY, 0, \
	      P(res, ERRNO, HEX, RET, 0, 0, 0) P(addr, U64, HEX, ARG, 0, 0, 0) \
	      P(length, U64, DEC, ARG, 1, 0, 0) P(prot, U32, PROT_FLAGS, ARG, 2, 0, 0) \
	      P(flags, U32, MMAP_FLAGS, ARG, 3, 0, 0) RTSEC_P_FD(P, fd, 4) \
	      P(offset, U64, DEC, ARG, 5, 0, 0)) \
	EVENT(70, USERFAULTFD, userfaultfd, 323, KERNEL, RTSEC_EF_CREATES_FD | RTSEC_EF_MODIFIES_STATE, \
	      RTSEC_P_NEWFD(P) P(flags, U32, OPEN_FLAGS, ARG, 0, 0, 0)) \
	EVENT(71, PIPE, pipe, 22, IPC, RTSEC_EF_CREATES_FD | RTSEC_EF_MODIFIES_STATE, \
	      RTSEC_P_RES(P) P(fds, FDPAIR, DEC, ARG_FDPAIR, 0, 0, RTSEC_PARAM_IF_SUCCESS)) \
	EVENT(72, PIPE2, pipe2, 293, IPC, RTSEC_EF_CREATES_FD | RTSEC_EF_MODIFIES_STATE, \
	      RTSEC_P_RES(P) P(fds, FDPAIR, DEC, ARG_FDPAIR, 0, 0, RTSEC_PARAM_IF_SUCCESS) \
	      P(flags, U32, OPEN_FLAGS, ARG, 1, 0, 0)) \
	/* ---- process life cycle ---- */ \
	EVENT(73, EXECVE, execve, 59, PROCESS, RTSEC_EF_MODIFIES_STATE, \
	      RTSEC_P_EXEC(P) \
	      P(filename, PATH, DEC, ARG_STR, 0, 0, RTSEC_PARAM_IF_FAILURE)) \
	EVENT(74, EXECVEAT, execveat, 322, PROCESS, RTSEC_EF_MODIFIES_STATE, \
	      RTSEC_P_EXEC(P) \
	      P(filename, PATH, DEC, ARG_STR, 1, 0, RTSEC_PARAM_IF_FAILURE) \
	      RTSEC_P_FD(P, dirfd, 0) P(flags, U32, AT_FLAGS, ARG, 4, 0, 0)) \
	EVENT(75, CLONE, clone, 56, PROCESS, RTSEC_EF_MODIFIES_STATE, \
	      RTSEC_P_FORK(P) P(flags, U64, CLONE_FLAGS, ARG, 0, 0, 0)) \
	EVENT(76, CLONE3, clone3, 435, PROCESS, RTSEC_EF_MODIFIES_STATE, \
	      RTSEC_P_FORK(P) P(flags, U64, CLONE_FLAGS, ARG_U64_AT, 0, 0, 0)) \
	EVENT(77, FORK, fork, 57, PROCESS, RTSEC_EF_MODIFIES_STATE, RTSEC_P_FORK(P)) \
	EVENT(78, VFORK, vfork, 58, PROCESS, RTSEC_EF_MODIFIES_STATE, RTSEC_P_FORK(P)) \
	/* a thread ended (sched_process_exit); not a syscall */ \
	EVENT(79, PROCEXIT, procexit, -1, PROCESS, RTSEC_EF_MODIFIES_STATE | RTSEC_EF_NOT_SYSCALL, \
	      P(status, S32, EXIT_STATUS, TASK_EXIT_STATUS, 0, 0, 0) \
	      P(comm, CHARBUF, DEC, TASK_COMM, 0, 0, 0))

/* enum rtsec_event_type: RTSEC_EVT_OPEN = 1, ... */
#define RTSEC_EVENT_ENUM_ROW(id, NAME, name, nr, cat, flags, ...) RTSEC_EVT_##NAME = id,
enum rtsec_event_type {
	RTSEC_EVT_UNKNOWN = 0,
	RTSEC_EVENT_TABLE(RTSEC_EVENT_ENUM_ROW, )
	RTSEC_EVT_MAX
};
#undef RTSEC_EVENT_ENUM_ROW

/* The highest x86-64 syscall number a recipe table must cover. */
#define RTSEC_SYSCALL_NR_MAX 512

#endif /* RTSEC_ABI_EVENT_TABLE_H */
