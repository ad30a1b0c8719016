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
 * checksums made right, so that the slots are parsed too.  Accepting or
 * refusing is checked against the documented format (qcd_journal.h), the
 * valid slots of an accepted file field by field, and the file written
 * after all are pushed.
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

/** SipHash key of the checksums */
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
 * One slot of the documented format is valid
 */
static bool valid_slot(const u_char *e)
{
	static const u_char zero[16];
	int alen = e[17] == 4 ? 4 : 16;

	return (e[17] == 4 || e[17] == 6) && !(e[16] & ~1) && !e[22] && !e[23] &&
		   untoh16(e + 18) && untoh16(e + 20) && !memeq(e, zero, 8) &&
		   !memeq(e + 8, zero, 8) && !memeq(e + 24, zero, alen) &&
		   !memeq(e + 40, zero, alen) &&
		   untoh64(e + 56) == chunk_mac(chunk_create((u_char*)e, 56), key);
}

/**
 * The documented format, version 2: whether the file is accepted
 */
static bool valid_file(const u_char *buf, size_t len)
{
	u_char header[64] = "QCDJ\x02";

	htoun64(header + 56, chunk_mac(chunk_create(header, 56), key));
	return len >= 64 && len % 64 == 0 &&
		   len <= 64 * ((size_t)QCD_JOURNAL_MAX_ENTRIES + 1) &&
		   memeq(buf, header, 64);
}

/** Slots the push callback saw */
typedef struct {
	const u_char *buf;
	size_t len;
	size_t pos;
} seen_t;

/**
 * Compare an inherited entry with the next valid slot, in file order
 */
static bool check_entry(seen_t *this, qcd_journal_entry_t *entry)
{
	const u_char *e;
	int alen;

	do
	{
		this->pos += 64;
		if (this->pos >= this->len)
		{	/* more entries than valid slots */
			abort();
		}
		e = this->buf + this->pos;
	}
	while (!valid_slot(e));
	alen = e[17] == 4 ? 4 : 16;
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
	seen_t seen = { .buf = buf, .len = len };
	struct stat st;
	size_t pos;
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || write(fd, buf, len) != len)
	{
		abort();
	}
	close(fd);

	journal = qcd_journal_create(path, 0);
	if (journal->push(journal, (void*)check_entry, &seen, UINT_MAX))
	{
		abort();
	}
	if (valid_file(buf, len))
	{	/* no valid slot left unpushed */
		for (pos = seen.pos + 64; pos < len; pos += 64)
		{
			if (valid_slot(buf + pos))
			{
				abort();
			}
		}
	}
	else if (seen.pos)
	{	/* accepted an invalid file */
		abort();
	}
	journal->destroy(journal);
	/* all pushed, or ignored: just the header is left */
	if (stat(path, &st) || st.st_size != 64)
	{
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	u_char *fixed;
	size_t pos;

	load(buf, len);
	if (len >= 64 && len <= 64 * 64)
	{	/* the same with valid checksums, to reach the slots */
		fixed = malloc(len);
		memcpy(fixed, buf, len);
		for (pos = 0; pos + 64 <= len; pos += 64)
		{
			htoun64(fixed + pos + 56,
					chunk_mac(chunk_create(fixed + pos, 56), key));
		}
		load(fixed, len);
		free(fixed);
	}
	return 0;
}
