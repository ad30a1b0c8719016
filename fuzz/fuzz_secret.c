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

/*
 * qcd_secret_load() on arbitrary file contents.  Accepting or refusing is
 * checked against the documented format (qcd_secret.h), the secrets of an
 * accepted file byte by byte, and so is a rotation of it.
 */

#include <library.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "qcd_secret.h"

/** The file, in a folder of its own on tmpfs */
static char dir[] = "/dev/shm/qcd-fuzz-secret.XXXXXX", path[64];

/**
 * Remove the file and its folder when libFuzzer exits
 */
static void cleanup()
{
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	dbg_default_set_level(-1);
	library_init(NULL, "fuzz_secret");
	/* rotation makes a new secret, and fingerprints need SHA-256 */
	if (!lib->plugins->load(lib->plugins, "random sha2") || !mkdtemp(dir))
	{
		abort();
	}
	snprintf(path, sizeof(path), "%s/qcd.secret", dir);
	atexit(cleanup);
	return 0;
}

/**
 * The documented format, version 1: "QCDS", 1, n in 1..4, 0, 0, n secrets
 */
static int valid_generations(const uint8_t *buf, size_t len)
{
	if (len < 8 || memcmp(buf, "QCDS", 4) || buf[4] != 1 || buf[5] < 1 ||
		buf[5] > 4 || buf[6] || buf[7] || len != 8 + 32 * (size_t)buf[5])
	{
		return 0;
	}
	return buf[5];
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	qcd_secret_t *secret, *rotated;
	int fd, n, i;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || write(fd, buf, len) != len)
	{
		abort();
	}
	close(fd);

	n = valid_generations(buf, len);
	secret = qcd_secret_load(path, FALSE);
	if (!n != !secret)
	{	/* accepted an invalid file, or refused a valid one */
		abort();
	}
	if (!secret)
	{
		return 0;
	}
	if (secret->get_count(secret) != n || secret->get(secret, n).len)
	{
		abort();
	}
	for (i = 0; i < n; i++)
	{
		if (!chunk_equals(secret->get(secret, i),
						  chunk_create((u_char*)buf + 8 + 32 * i, 32)))
		{
			abort();
		}
	}
	/* a rotation keeps the old generations behind a new one */
	if (!secret->rotate(secret, path))
	{
		abort();
	}
	rotated = qcd_secret_load(path, FALSE);
	if (!rotated || rotated->get_count(rotated) != min(n + 1, 4) ||
		!chunk_equals(rotated->get(rotated, 0), secret->get(secret, 0)) ||
		chunk_equals(rotated->get(rotated, 0), chunk_create((u_char*)buf + 8, 32)))
	{
		abort();
	}
	for (i = 1; i < rotated->get_count(rotated); i++)
	{
		if (!chunk_equals(rotated->get(rotated, i),
						  chunk_create((u_char*)buf + 8 + 32 * (i - 1), 32)))
		{
			abort();
		}
	}
	rotated->destroy(rotated);
	secret->destroy(secret);
	return 0;
}
