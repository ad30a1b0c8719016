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
 * qcd_journal_create() on arbitrary file contents, as found and with the
 * checksum made right, so that the entries are parsed too.  Accepting or
 * refusing is checked against the documented format (qcd_journal.h), the
 * entries of an accepted file field by field, and the file written after
 * all are pushed.
 */

#include <library.h>
#include <daemon.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qcd_journal.h"

/** The file, in a folder of its own on tmpfs */
static char dir[] = "/dev/shm/qcd-fuzz-journal.XXXXXX", path[64];

/** SipHash key of the trailer */
static u_char key[16];

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
	library_init(NULL, "fuzz_journal");
	/* the journal logs through charon's bus */
	if (!libcharon_init() || !mkdtemp(dir))
	{
		abort();
	}
	snprintf(path, sizeof(path), "%s/qcd.journal", dir);
	atexit(cleanup);
	return 0;
}

/**
 * One entry of the documented format is valid
 */
static bool valid_entry(const u_char *e)
{
	static const u_char zero[16];
	int alen = e[17] == 4 ? 4 : 16;

	return (e[17] == 4 || e[17] == 6) && !(e[16] & ~1) && !e[22] && !e[23] &&
		   untoh16(e + 18) && untoh16(e + 20) && !memeq(e, zero, 8) &&
		   !memeq(e + 8, zero, 8) && !memeq(e + 24, zero, alen) &&
		   !memeq(e + 40, zero, alen);
}

/**
 * The documented format, version 1; the number of entries, -1 if invalid
 */
static int valid_entries(const u_char *buf, size_t len)
{
	uint32_t n, i;

	if (len < 24 || memcmp(buf, "QCDJ", 4) || buf[4] != 1 || buf[5] ||
		buf[6] || buf[7] || untoh32(buf + 12))
	{
		return -1;
	}
	n = untoh32(buf + 8);
	if (n > QCD_JOURNAL_MAX_ENTRIES || len != 24 + 56 * (size_t)n ||
		untoh64(buf + len - 8) != chunk_mac(chunk_create((u_char*)buf, len - 8), key))
	{
		return -1;
	}
	for (i = 0; i < n; i++)
	{
		if (!valid_entry(buf + 16 + 56 * i))
		{
			return -1;
		}
	}
	return n;
}

/** Entries the push callback saw */
typedef struct {
	const u_char *buf;
	int seen;
} seen_t;

/**
 * Compare an inherited entry with the bytes it came from, in file order
 */
static bool check_entry(seen_t *this, qcd_journal_entry_t *entry)
{
	const u_char *e = this->buf + 16 + 56 * this->seen++;
	int alen = e[17] == 4 ? 4 : 16;

	if (!memeq(&entry->spi_i, e, 8) || !memeq(&entry->spi_r, e + 8, 8) ||
		entry->initiator != (e[16] & 1) ||
		entry->local->get_port(entry->local) != untoh16(e + 18) ||
		entry->remote->get_port(entry->remote) != untoh16(e + 20) ||
		!chunk_equals(entry->local->get_address(entry->local),
					  chunk_create((u_char*)e + 24, alen)) ||
		!chunk_equals(entry->remote->get_address(entry->remote),
					  chunk_create((u_char*)e + 40, alen)))
	{
		abort();
	}
	return TRUE;
}

/**
 * Load one file content and check the result
 */
static void load(const u_char *buf, size_t len)
{
	qcd_journal_t *journal;
	seen_t seen = { .buf = buf };
	struct stat st;
	int fd, n;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || write(fd, buf, len) != len)
	{
		abort();
	}
	close(fd);

	n = valid_entries(buf, len);
	journal = qcd_journal_create(path, 0);
	if (journal->push(journal, (void*)check_entry, &seen, UINT_MAX) ||
		seen.seen != max(n, 0))
	{	/* accepted an invalid file, refused a valid one, or lost entries */
		abort();
	}
	journal->destroy(journal);
	/* all pushed, or ignored: an empty journal replaced the file */
	if ((n != 0 && (stat(path, &st) || st.st_size != 24)) ||
		(n == 0 && (stat(path, &st) || st.st_size != len)))
	{
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	u_char *fixed;

	load(buf, len);
	if (len >= 24 && len <= 16 + 56 * 64 + 8)
	{	/* the same with a valid checksum, to reach the entries */
		fixed = malloc(len);
		memcpy(fixed, buf, len);
		htoun64(fixed + len - 8, chunk_mac(chunk_create(fixed, len - 8), key));
		load(fixed, len);
		free(fixed);
	}
	return 0;
}
