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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
qcd_file_save_t qcd_file_save(char *path, char *what, chunk_t data,
							  bool replace, bool sync)
{
	char tmp[PATH_MAX];
	int fd, err;
	bool ok;

	if (snprintf(tmp, sizeof(tmp), "%s.%u.XXXXXX", path,
				 (u_int)getpid()) >= sizeof(tmp))
	{
		DBG1(DBG_CFG, "qcd: %s path '%s' too long", what, path);
		return QCD_FILE_FAILED;
	}
	/* mkstemp() creates the file with mode 0600 */
	fd = mkstemp(tmp);
	if (fd < 0)
	{
		DBG1(DBG_CFG, "qcd: creating '%s' failed: %s; make sure its directory "
			 "exists and is writable", tmp, strerror(errno));
		return QCD_FILE_FAILED;
	}
	ok = write(fd, data.ptr, data.len) == data.len && (!sync || fsync(fd) == 0);
	err = errno;
	close(fd);
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
	size_t len;
	u_long pid;
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
		pid = strtoul(entry->d_name + len + 1, &end, 10);
		if (errno || end == entry->d_name + len + 1 || *end != '.' ||
			strlen(end + 1) != QCD_FILE_TEMP_SUFFIX_LEN || pid == getpid() ||
			pid > INT_MAX || kill(pid, 0) == 0 || errno != ESRCH)
		{	/* not ours, or its writer may still be at work */
			continue;
		}
		if (snprintf(name, sizeof(name), "%s/%s", dirpath,
					 entry->d_name) < sizeof(name) && unlink(name) == 0)
		{
			DBG1(DBG_CFG, "qcd: removed '%s', left behind by an interrupted "
				 "write of the %s", name, what);
		}
	}
	closedir(d);
}
