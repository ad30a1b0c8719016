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
 * Benchmark of the token maker's journal at gateway scale: N IKE_SAs
 * journaled, then C changes per second (an IKE_SA replaced by another:
 * a removal and an addition, as when a peer re-establishes) for S
 * seconds, written by a writer thread every 50 ms as the plugin's write
 * job does, then a start-up read.  Measured:
 *  - bytes written per minute, as the journal's write(2)s (wchar) and as
 *    the storage layer sees them after syncfs() (write_bytes), against a
 *    baseline from the same run: the whole journal at each of the same
 *    writes, as the journal of format version 1 wrote it (24 + 56 bytes
 *    per entry; counted, not written, to spare the disk);
 *  - the longest time an "IKE thread" waited in add() or remove(), while
 *    the writer ran;
 *  - the time to read N entries at start.
 * usage: journal-bench N CHANGES_PER_SECOND SECONDS FOLDER
 *
 * With --write N FILE, it only writes a journal of N IKE_SAs between
 * 192.0.2.1 and distinct peers, for testing/bench/push.
 */

#define _GNU_SOURCE /* syncfs() */
#include <library.h>
#include <daemon.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <threading/thread.h>

#include "qcd_journal.h"
#include "qcd_limiter.h"

/**
 * Just what the journal asks of an IKE_SA
 */
typedef struct {
	ike_sa_t public;
	ike_sa_id_t *id;
	host_t *me, *other;
	u_int uid;
} fake_t;

METHOD(ike_sa_t, get_id, ike_sa_id_t*, fake_t *this)
{
	return this->id;
}

METHOD(ike_sa_t, get_my_host, host_t*, fake_t *this)
{
	return this->me;
}

METHOD(ike_sa_t, get_other_host, host_t*, fake_t *this)
{
	return this->other;
}

METHOD(ike_sa_t, get_unique_id, u_int, fake_t *this)
{
	return this->uid;
}

/** Gateway and peer addresses: RFC 5737 and RFC 2544 */
static host_t *me;

/**
 * Fill a fake IKE_SA for unique ID uid
 */
static void fake(fake_t *this, u_int uid)
{
	char peer[32];

	/* distinct addresses from 198.18.0.0/15 (RFC 2544), as bench_addresses */
	uid--;
	snprintf(peer, sizeof(peer), "198.%u.%u.%u", 18 + (uid / 65024) % 2,
			 uid % 65024 / 254, uid % 254 + 1);
	uid++;
	*this = (fake_t){
		.public = {
			.get_id = _get_id,
			.get_my_host = _get_my_host,
			.get_other_host = _get_other_host,
			.get_unique_id = _get_unique_id,
		},
		.id = ike_sa_id_create(IKEV2_MAJOR_VERSION, htobe64(uid),
							   htobe64(~(uint64_t)uid), FALSE),
		.me = me,
		.other = host_create_from_string(peer, 4500),
		.uid = uid,
	};
}

/**
 * Free a fake IKE_SA's data
 */
static void unfake(fake_t *this)
{
	this->id->destroy(this->id);
	this->other->destroy(this->other);
}

/** The writer thread's state */
static qcd_journal_t *journal;
static volatile bool stop;
static char path[512];
static uint64_t baseline_bytes, writes;

/**
 * The write job, every 50 ms
 */
static void *writer(void *arg)
{
	qcd_journal_status_t status;

	while (!stop)
	{
		usleep(50000);
		journal->get_status(journal, &status);
		if (journal->flush(journal))
		{
			writes++;
		}
		baseline_bytes += 24 + 56 * (uint64_t)status.entries;
	}
	return NULL;
}

/**
 * Read a field of /proc/self/io
 */
static uint64_t io(char *field)
{
	char line[128];
	uint64_t value = 0;
	FILE *f = fopen("/proc/self/io", "r");

	while (f && fgets(line, sizeof(line), f))
	{
		if (strncmp(line, field, strlen(field)) == 0)
		{
			value = strtoull(line + strlen(field) + 1, NULL, 10);
		}
	}
	if (f)
	{
		fclose(f);
	}
	return value;
}

/**
 * Monotonic time in microseconds
 */
static uint64_t now_us()
{
	timeval_t tv;

	time_monotonic(&tv);
	return tv.tv_sec * 1000000ULL + tv.tv_usec;
}

/**
 * Count pushed entries
 */
static bool count(u_int *n, qcd_journal_entry_t *entry)
{
	(*n)++;
	return FALSE;
}

/**
 * Write a journal of n IKE_SAs to file
 */
static int write_journal(u_int n, char *file)
{
	fake_t sa;
	u_int i;
	bool ok;

	dbg_default_set_level(0);
	if (!library_init(NULL, "journal-bench") || !libcharon_init())
	{
		return 1;
	}
	me = host_create_from_string("192.0.2.1", 4500);
	unlink(file);
	journal = qcd_journal_create(file, 0);
	for (i = 0; i < n; i++)
	{
		fake(&sa, i + 1);
		journal->add(journal, &sa.public);
		unfake(&sa);
	}
	ok = journal->flush(journal);
	journal->destroy(journal);
	me->destroy(me);
	libcharon_deinit();
	library_deinit();
	return ok ? 0 : 1;
}

int main(int argc, char *argv[])
{
	u_int n, rate, seconds, i, next, pushed = 0;
	uint64_t start, t, wait, longest = 0, wchar, wbytes, base;
	fake_t *sas;
	thread_t *thread;
	int fd;

	if (argc == 4 && streq(argv[1], "--write"))
	{
		return write_journal(atoi(argv[2]), argv[3]);
	}
	if (argc != 5)
	{
		fprintf(stderr, "usage: journal-bench N CHANGES_PER_SECOND SECONDS "
				"FOLDER\n");
		return 1;
	}
	n = atoi(argv[1]);
	rate = max(atoi(argv[2]), 1);
	seconds = atoi(argv[3]);
	snprintf(path, sizeof(path), "%s/qcd.journal", argv[4]);
	unlink(path);
	dbg_default_set_level(0);
	if (!library_init(NULL, "journal-bench") || !libcharon_init())
	{
		return 1;
	}
	me = host_create_from_string("192.0.2.1", 4500);
	sas = calloc(n, sizeof(fake_t));

	journal = qcd_journal_create(path, 0);
	for (i = 0; i < n; i++)
	{
		fake(&sas[i], i + 1);
		journal->add(journal, &sas[i].public);
	}
	journal->flush(journal);
	next = n + 1;

	fd = open(argv[4], O_RDONLY | O_DIRECTORY);
	syncfs(fd);
	wchar = io("wchar");
	wbytes = io("write_bytes");
	base = baseline_bytes;
	thread = thread_create(writer, NULL);
	start = now_us();
	for (i = 0; i < rate * seconds; i++)
	{
		/* one change every 1/rate s: peer i leaves, a new one comes */
		while (now_us() < start + 1000000ULL * i / rate)
		{
			usleep(200);
		}
		t = now_us();
		journal->remove(journal, sas[i % n].uid);
		wait = now_us() - t;
		longest = max(longest, wait);
		unfake(&sas[i % n]);
		fake(&sas[i % n], next++);
		t = now_us();
		journal->add(journal, &sas[i % n].public);
		wait = now_us() - t;
		longest = max(longest, wait);
	}
	stop = TRUE;
	thread->join(thread);
	journal->flush(journal);
	syncfs(fd);
	t = now_us() - start;
	wchar = io("wchar") - wchar;
	wbytes = io("write_bytes") - wbytes;
	base = baseline_bytes - base;
	journal->destroy(journal);

	start = now_us();
	journal = qcd_journal_create(path, 0);
	journal->push(journal, (void*)count, &pushed, UINT_MAX);
	printf("journal: %u IKE_SAs, %u changes/s for %u s, %llu writes\n", n,
		   rate, seconds, (unsigned long long)writes);
	printf("start-up read of %u entries: %.1f ms\n", pushed,
		   (now_us() - start) / 1000.0);
	printf("written: %.3f MB/min (write_bytes after syncfs: %.3f MB/min); "
		   "the whole file at each write, as format 1: %.1f MB/min; "
		   "ratio %.5f\n",
		   wchar * 60e6 / t / 1e6, wbytes * 60e6 / t / 1e6,
		   base * 60e6 / t / 1e6, base ? (double)wchar / base : 0);
	printf("longest wait of an IKE thread in add() or remove(): %.3f ms\n",
		   longest / 1000.0);
	journal->destroy(journal);
	close(fd);
	for (i = 0; i < n; i++)
	{
		unfake(&sas[i]);
	}
	free(sas);
	me->destroy(me);
	libcharon_deinit();
	library_deinit();
	return pushed == n ? 0 : 1;
}
