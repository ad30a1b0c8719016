/*
 * Copyright (C) 2026 strongswan-qcd authors
 *
 * This program is free software; you can redistribute it and/or modify it
 * under the terms of the GNU General Public License as published by the
 * Free Software Foundation; either version 2 of the License, or (at your
 * option) any later version.  See <http://www.fsf.org/copyleft/gpl.txt>.
 *
 * This program is distributed in the hope that it will be useful, but
 * WITHOUT ANY WARRANTY; without even the implied warranty of MERCHANTABILITY
 * or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU General Public License
 * for more details.
 */

#include "qcd_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <utils/debug.h>

/**
 * fsync() the directory holding path, so that a new name survives a crash
 */
static bool sync_dir(char *path)
{
	char buf[PATH_MAX];
	int fd;
	bool ok;

	snprintf(buf, sizeof(buf), "%s", path);
	fd = open(dirname(buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
	{
		return FALSE;
	}
	ok = fsync(fd) == 0;
	close(fd);
	return ok;
}

/*
 * Described in header
 */
bool qcd_file_write_all(int fd, chunk_t data, off_t offset)
{
	ssize_t len;

	while (data.len)
	{
		len = pwrite(fd, data.ptr, data.len, offset);
		if (len < 0 && errno == EINTR)
		{
			continue;
		}
		if (len <= 0)
		{	/* a write that writes nothing sets no errno */
			if (len == 0)
			{
				errno = EIO;
			}
			return FALSE;
		}
		data = chunk_skip(data, len);
		offset += len;
	}
	return TRUE;
}

/**
 * Create the temporary file for path and lock it: a temporary file nobody
 * holds a lock on is stale, see qcd_file_remove_stale().  Returns the fd
 * or -1 with errno set.
 */
static int create_locked(char *path, char *tmp, size_t len)
{
	struct stat st;
	int fd, tries;

	for (tries = 0; tries < 3; tries++)
	{
		if (snprintf(tmp, len, "%s.%u.XXXXXX", path,
					 (u_int)getpid()) >= len)
		{
			errno = ENAMETOOLONG;
			return -1;
		}
		/* mkstemp() creates the file with mode 0600 */
		fd = mkstemp(tmp);
		if (fd < 0)
		{
			return -1;
		}
		if (flock(fd, LOCK_EX) == 0 && fstat(fd, &st) == 0 && st.st_nlink)
		{
			return fd;
		}
		/* a cleaner removed it before we had the lock, take another */
		close(fd);
	}
	errno = EAGAIN;
	return -1;
}

/*
 * Described in header
 */
bool qcd_file_owner_ok(uid_t uid)
{
	return uid == 0 || uid == geteuid() || uid == lib->caps->get_uid(lib->caps);
}

/*
 * Described in header
 */
bool qcd_file_group_ok(gid_t gid)
{
	char *group;

	/* only with charon.group set: without it, get_gid() is the group we
	 * run as, whose other members have no business with the secret */
	group = lib->settings->get_str(lib->settings, "%s.group",
				lib->settings->get_str(lib->settings, "charon.group", NULL),
				lib->ns);
	return group && *group && gid && gid == lib->caps->get_gid(lib->caps);
}

/**
 * Give the temporary file the owner, group and mode the file should have,
 * see qcd_file_save()
 */
static bool set_owner(char *path, int fd, bool replace)
{
	struct stat st = {
		.st_uid = geteuid(),
		.st_gid = getegid(),
		.st_mode = 0600,
	};

	if (!replace || stat(path, &st) != 0)
	{
		if (geteuid() != 0)
		{
			return TRUE;
		}
		if (lib->caps->get_gid(lib->caps))
		{	/* root's, readable by charon's group: root reads it without
			 * CAP_DAC_READ_SEARCH, which AppArmor profiles deny */
			st.st_gid = lib->caps->get_gid(lib->caps);
			st.st_mode = 0640;
		}
		else if (lib->caps->get_uid(lib->caps))
		{
			st.st_uid = lib->caps->get_uid(lib->caps);
		}
	}
	if ((st.st_uid != geteuid() || st.st_gid != getegid()) &&
		fchown(fd, st.st_uid, st.st_gid) != 0)
	{
		return FALSE;
	}
	/* mkstemp() made it 0600 */
	return (st.st_mode & 0640) == 0600 || fchmod(fd, st.st_mode & 0640) == 0;
}

/*
 * Described in header
 */
qcd_file_save_t qcd_file_save(char *path, char *what, chunk_t data,
							  bool replace, bool sync)
{
	char tmp[PATH_MAX];
	int fd, err;
	bool ok;

	fd = create_locked(path, tmp, sizeof(tmp));
	if (fd < 0)
	{
		DBG1(DBG_CFG, "qcd: creating a temporary file for %s '%s' failed: "
			 "%s; make sure its directory exists and is writable%s", what,
			 path, strerror(errno), errno == EACCES ? "; if AppArmor confines "
			 "charon, which Debian's profile does, create the file with "
			 "qcd-secret" : "");
		return QCD_FILE_FAILED;
	}
	ok = set_owner(path, fd, replace) && qcd_file_write_all(fd, data, 0) &&
		 (!sync || fsync(fd) == 0);
	err = errno;
	if (ok)
	{
		/* link() fails if the file appeared meanwhile, rename() would not */
		ok = replace ? rename(tmp, path) == 0 : link(tmp, path) == 0;
		err = errno;
	}
	if (!ok || !replace)
	{
		unlink(tmp);
	}
	/* the lock is held until the temporary name is gone */
	close(fd);
	if (!ok && !replace && err == EEXIST)
	{	/* another creator won the race */
		return QCD_FILE_EXISTS;
	}
	if (ok && sync && !sync_dir(path))
	{
		ok = FALSE;
		err = errno;
	}
	if (ok)
	{
		return QCD_FILE_SAVED;
	}
	DBG1(DBG_CFG, "qcd: writing %s '%s' failed: %s", what, path,
		 strerror(err));
	return QCD_FILE_FAILED;
}

/*
 * Described in header
 */
void qcd_file_remove_stale(char *path, char *what)
{
	char dir[PATH_MAX], buf[PATH_MAX], name[PATH_MAX], *base, *dirpath, *end;
	struct dirent *entry;
	struct stat st;
	size_t len;
	int fd;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s", path);
	snprintf(buf, sizeof(buf), "%s", path);
	base = basename(buf);
	dirpath = dirname(dir);
	d = opendir(dirpath);
	if (!d)
	{
		return;
	}
	len = strlen(base);
	while ((entry = readdir(d)))
	{
		if (strncmp(entry->d_name, base, len) || entry->d_name[len] != '.')
		{
			continue;
		}
		errno = 0;
		strtoul(entry->d_name + len + 1, &end, 10);
		if (errno || end == entry->d_name + len + 1 || *end != '.' ||
			strlen(end + 1) != QCD_FILE_TEMP_SUFFIX_LEN ||
			snprintf(name, sizeof(name), "%s/%s", dirpath,
					 entry->d_name) >= sizeof(name))
		{	/* not a temporary file of ours */
			continue;
		}
		/* a writer holds a lock on its temporary file until it is renamed
		 * or removed, whatever its PID namespace, so a file we can lock is
		 * stale; PIDs could be another namespace's, or reused */
		fd = open(name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
		{
			continue;
		}
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
			flock(fd, LOCK_EX | LOCK_NB) == 0 && unlink(name) == 0)
		{
			DBG1(DBG_CFG, "qcd: removed '%s', left behind by an interrupted "
				 "write of the %s", name, what);
		}
		close(fd);
	}
	closedir(d);
}
