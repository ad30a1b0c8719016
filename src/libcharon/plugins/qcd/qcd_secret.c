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

#include "qcd_secret.h"
#include "qcd_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <utils/debug.h>

/** Magic at the start of the file */
#define MAGIC "QCDS"

/** File format version */
#define FORMAT_VERSION 1

/** Header length */
#define HEADER_LEN 8

typedef struct private_qcd_secret_t private_qcd_secret_t;

/**
 * Private data of a qcd_secret_t object.
 */
struct private_qcd_secret_t {

	/**
	 * Public interface.
	 */
	qcd_secret_t public;

	/**
	 * Secrets, current first
	 */
	u_char secrets[QCD_SECRET_GENERATIONS][QCD_SECRET_LEN];

	/**
	 * Number of generations in secrets
	 */
	int count;

	/**
	 * Fingerprint of the current secret
	 */
	char fingerprint[9];
};

METHOD(qcd_secret_t, get_count, int,
	private_qcd_secret_t *this)
{
	return this->count;
}

METHOD(qcd_secret_t, get, chunk_t,
	private_qcd_secret_t *this, int i)
{
	if (i < 0 || i >= this->count)
	{
		return chunk_empty;
	}
	return chunk_create(this->secrets[i], QCD_SECRET_LEN);
}

METHOD(qcd_secret_t, get_fingerprint, char*,
	private_qcd_secret_t *this)
{
	return this->fingerprint;
}

/**
 * Update the fingerprint after the current secret changed
 */
static void update_fingerprint(private_qcd_secret_t *this)
{
	hasher_t *hasher;
	u_char hash[HASH_SIZE_SHA256];

	snprintf(this->fingerprint, sizeof(this->fingerprint), "unknown");
	hasher = lib->crypto->create_hasher(lib->crypto, HASH_SHA256);
	if (hasher && hasher->get_hash(hasher, get(this, 0), hash))
	{
		snprintf(this->fingerprint, sizeof(this->fingerprint),
				 "%.2x%.2x%.2x%.2x", hash[0], hash[1], hash[2], hash[3]);
	}
	DESTROY_IF(hasher);
}

/**
 * Fill the current generation from RNG_TRUE (R5.1-1)
 */
static bool generate(private_qcd_secret_t *this)
{
	rng_t *rng;
	bool ok;

	rng = lib->crypto->create_rng(lib->crypto, RNG_TRUE);
	if (!rng)
	{
		DBG1(DBG_CFG, "qcd: no RNG_TRUE available to create a secret, "
			 "load a plugin that provides it (e.g. random)");
		return FALSE;
	}
	ok = rng->get_bytes(rng, QCD_SECRET_LEN, this->secrets[0]);
	rng->destroy(rng);
	if (!ok)
	{
		DBG1(DBG_CFG, "qcd: reading RNG_TRUE failed");
	}
	return ok;
}

/**
 * Write the secrets to path, atomically and synced (see qcd_file_save())
 */
static qcd_file_save_t save(private_qcd_secret_t *this, char *path,
							bool replace)
{
	u_char buf[HEADER_LEN + sizeof(this->secrets)] = MAGIC;
	qcd_file_save_t result;

	buf[4] = FORMAT_VERSION;
	buf[5] = this->count;
	memcpy(buf + HEADER_LEN, this->secrets, QCD_SECRET_LEN * this->count);
	result = qcd_file_save(path, "secret file",
				chunk_create(buf, HEADER_LEN + QCD_SECRET_LEN * this->count),
				replace, TRUE);
	memwipe(buf, sizeof(buf));
	return result;
}

METHOD(qcd_secret_t, rotate, bool,
	private_qcd_secret_t *this, char *path)
{
	private_qcd_secret_t old = *this;

	qcd_file_remove_stale(path, "secret file");
	memmove(this->secrets[1], this->secrets[0],
			QCD_SECRET_LEN * (QCD_SECRET_GENERATIONS - 1));
	this->count = min(this->count + 1, QCD_SECRET_GENERATIONS);
	if (!generate(this) || save(this, path, TRUE) != QCD_FILE_SAVED)
	{
		memcpy(this->secrets, old.secrets, sizeof(this->secrets));
		this->count = old.count;
		memwipe(&old, sizeof(old));
		return FALSE;
	}
	memwipe(&old, sizeof(old));
	update_fingerprint(this);
	return TRUE;
}

METHOD(qcd_secret_t, destroy, void,
	private_qcd_secret_t *this)
{
	memwipe(this->secrets, sizeof(this->secrets));
	free(this);
}

/**
 * Create an empty object
 */
static private_qcd_secret_t *create_empty()
{
	private_qcd_secret_t *this;

	INIT(this,
		.public = {
			.get_count = _get_count,
			.get = _get,
			.get_fingerprint = _get_fingerprint,
			.rotate = _rotate,
			.destroy = _destroy,
		},
	);
	return this;
}

/**
 * Create a new secret file at path
 */
static qcd_file_save_t create_file(char *path, private_qcd_secret_t **out)
{
	private_qcd_secret_t *this = create_empty();
	qcd_file_save_t result = QCD_FILE_FAILED;

	this->count = 1;
	if (generate(this))
	{
		result = save(this, path, FALSE);
	}
	if (result != QCD_FILE_SAVED)
	{
		destroy(this);
		return result;
	}
	update_fingerprint(this);
	DBG1(DBG_CFG, "qcd: created secret file '%s' (fingerprint %s)", path,
		 this->fingerprint);
	*out = this;
	return QCD_FILE_SAVED;
}

/**
 * Check the file's owner, type and permissions (R9.1-5)
 */
static bool check_stat(char *path, struct stat *st)
{
	if (!S_ISREG(st->st_mode))
	{
		DBG1(DBG_CFG, "qcd: refusing secret file '%s': not a regular file",
			 path);
		return FALSE;
	}
	if (!qcd_file_owner_ok(st->st_uid))
	{
		DBG1(DBG_CFG, "qcd: refusing secret file '%s': owned by uid %u, not by "
			 "root or the user charon runs as (uid %u); fix with 'chown %u %s'",
			 path, st->st_uid, lib->caps->get_uid(lib->caps),
			 lib->caps->get_uid(lib->caps), path);
		return FALSE;
	}
	if (st->st_mode & (S_IWGRP | S_IXGRP | S_IRWXO) ||
		(st->st_mode & S_IRGRP && !qcd_file_group_ok(st->st_gid)))
	{
		DBG1(DBG_CFG, "qcd: refusing secret file '%s': accessible by group or "
			 "others (mode %.4o); the secret may have leaked, fix with "
			 "'chmod 600 %s' and consider 'qcd-secret --rotate'", path,
			 st->st_mode & 07777, path);
		return FALSE;
	}
	return TRUE;
}

/**
 * Parse and check the file's content
 */
static bool parse(private_qcd_secret_t *this, char *path, u_char *buf,
				  ssize_t len)
{
	if (len < HEADER_LEN || !memeq(buf, MAGIC, 4))
	{
		DBG1(DBG_CFG, "qcd: refusing secret file '%s': not a QCD secret file "
			 "(bad magic or too short); restore it from a backup or move it "
			 "away to create a new one", path);
		return FALSE;
	}
	if (buf[4] != FORMAT_VERSION)
	{
		DBG1(DBG_CFG, "qcd: refusing secret file '%s': unknown format version "
			 "%u, this plugin reads version %u", path, buf[4], FORMAT_VERSION);
		return FALSE;
	}
	if (buf[5] < 1 || buf[5] > QCD_SECRET_GENERATIONS || buf[6] || buf[7] ||
		len != HEADER_LEN + QCD_SECRET_LEN * buf[5])
	{
		DBG1(DBG_CFG, "qcd: refusing secret file '%s': truncated or corrupt "
			 "(%zd bytes for %u generations); restore it from a backup or "
			 "move it away to create a new one", path, len, buf[5]);
		return FALSE;
	}
	this->count = buf[5];
	memcpy(this->secrets, buf + HEADER_LEN, QCD_SECRET_LEN * this->count);
	return TRUE;
}

/**
 * Read and check an open file
 */
static private_qcd_secret_t *read_file(char *path, int fd)
{
	private_qcd_secret_t *this;
	/* one byte more than the largest valid file to detect trailing data */
	u_char buf[HEADER_LEN + QCD_SECRET_LEN * QCD_SECRET_GENERATIONS + 1];
	struct stat st;
	ssize_t len;

	/* before reading: a FIFO or device must not block or feed us */
	if (fstat(fd, &st) != 0 || !check_stat(path, &st))
	{
		return NULL;
	}
	len = read(fd, buf, sizeof(buf));

	this = create_empty();
	if (len < 0)
	{
		DBG1(DBG_CFG, "qcd: reading secret file '%s' failed: %s", path,
			 strerror(errno));
		destroy(this);
		this = NULL;
	}
	else if (!parse(this, path, buf, len))
	{
		destroy(this);
		this = NULL;
	}
	else
	{
		update_fingerprint(this);
	}
	memwipe(buf, sizeof(buf));
	return this;
}

/*
 * Described in header
 */
qcd_secret_t *qcd_secret_load(char *path, bool create)
{
	private_qcd_secret_t *this = NULL;
	int fd, tries = 2;

	while (tries--)
	{
		/* O_NONBLOCK: opening a FIFO for reading would block until a
		 * writer appears, and charon with it */
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		if (fd >= 0)
		{
			this = read_file(path, fd);
			close(fd);
			break;
		}
		if (errno != ENOENT || !create)
		{
			DBG1(DBG_CFG, "qcd: opening secret file '%s' failed: %s%s", path,
				 strerror(errno), errno == ENOENT ? "; restore it from a "
				 "backup, or create a new one with 'qcd-secret --create' "
				 "(tokens given out before are then invalid)" :
				 errno == EACCES ? "; with charon.user set, the file must "
				 "belong to that user and its folder be searchable by it "
				 "(for Debian's /var/lib/strongswan: dpkg-statoverride), "
				 "and where AppArmor confines charon, its profile must let "
				 "charon read the file" : "");
			break;
		}
		/* only a writer lists the directory: Debian's AppArmor profile lets
		 * charon read the files in /var/lib/strongswan, not list it */
		qcd_file_remove_stale(path, "secret file");
		if (create_file(path, &this) != QCD_FILE_EXISTS)
		{
			break;
		}
		/* another process created it meanwhile, read that one */
	}
	return this ? &this->public : NULL;
}