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

/**
 * @defgroup qcd_file qcd_file
 * @{ @ingroup qcd
 */

#ifndef QCD_FILE_H_
#define QCD_FILE_H_

#include <library.h>

/** Temporary files: <file>.<pid of the writer>.<6 random chars> */
#define QCD_FILE_TEMP_SUFFIX_LEN 6

typedef enum qcd_file_save_t qcd_file_save_t;

/**
 * Result of qcd_file_save().
 */
enum qcd_file_save_t {
	/** the file is written */
	QCD_FILE_SAVED,
	/** a file appeared at the path meanwhile, it was not replaced */
	QCD_FILE_EXISTS,
	/** writing failed, the error is logged */
	QCD_FILE_FAILED,
};

/**
 * Write a file of the plugin's state atomically, with mode 0600: to a
 * temporary file <path>.<pid>.XXXXXX, then renamed over path (replace) or
 * linked to it (create, which never replaces a file that appeared
 * meanwhile).  A replaced file keeps its owner, group and mode; a new one
 * written by root is readable by charon's group (root's, mode 0640) if
 * charon.group is set, else belongs to charon.user if that is set
 * (lib->caps), so that charon can read it after dropping its privileges.
 * The temporary file is locked (flock) while it exists under its name.
 * A crash leaves either the old file or the new one, and maybe the
 * temporary file, which qcd_file_remove_stale() cleans up.
 *
 * @param path		file to write
 * @param what		what the file is, for log messages
 * @param data		content
 * @param replace	TRUE to replace an existing file
 * @param sync		TRUE to fsync the file and its directory, so that it
 *					survives a power loss, not only a crash of charon
 * @return			result
 */
qcd_file_save_t qcd_file_save(char *path, char *what, chunk_t data,
							  bool replace, bool sync);

/**
 * Write all of data at offset, retrying short writes and EINTR.
 *
 * @param fd		file
 * @param data		what to write
 * @param offset	where
 * @return			FALSE with errno set if that fails
 */
bool qcd_file_write_all(int fd, chunk_t data, off_t offset);

/**
 * Whether a state file may be owned by a user: root, the user we run as,
 * or the one charon drops its privileges to (charon.user, lib->caps), as
 * the plugin opens its files before that and reads the secret again
 * after it.
 *
 * @param uid		owner of the file
 * @return			TRUE if acceptable
 */
bool qcd_file_owner_ok(uid_t uid);

/**
 * Whether a state file may be readable by a group: charon's group, if
 * charon.group is set (lib->caps), never root's.
 *
 * @param gid		group of the file
 * @return			TRUE if acceptable
 */
bool qcd_file_group_ok(gid_t gid);

/**
 * Remove temporary files that a writer killed between writing and renaming
 * left behind: <path>.<pid>.XXXXXX that no writer holds a lock on, in
 * whatever PID namespace it runs.
 *
 * @param path		file whose temporary files to remove
 * @param what		what the file is, for log messages
 */
void qcd_file_remove_stale(char *path, char *what);

#endif /** QCD_FILE_H_ @}*/
