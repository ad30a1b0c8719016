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

#include "../qcd_tests.h"

#include <qcd_journal.h>
#include <qcd_push.h>

#include <daemon.h>
#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/** Length of a journal with n slots */
#define JOURNAL_LEN(n) (64 * ((n) + 1))

static void setup()
{
	qcd_tests_tmpdir();
	qcd_tests_log_start();
}

static void teardown()
{
	qcd_tests_log_stop();
	qcd_tests_cleanup();
}

/**
 * An established-looking IKE_SA between 192.0.2.1 and the given peer
 */
static ike_sa_t *sa(uint64_t spi_i, uint64_t spi_r, bool initiator,
					char *peer)
{
	ike_sa_id_t *id;
	ike_sa_t *ike_sa;

	id = ike_sa_id_create(IKEV2_MAJOR_VERSION, htobe64(spi_i),
						  htobe64(spi_r), initiator);
	ike_sa = ike_sa_create(id, initiator, IKEV2);
	id->destroy(id);
	ike_sa->set_my_host(ike_sa, host_create_from_string("192.0.2.1", 4500));
	ike_sa->set_other_host(ike_sa, host_create_from_string(peer, 4500));
	return ike_sa;
}

/**
 * Collects inherited entries, done with the first n
 */
typedef struct {
	u_int n;
	qcd_journal_entry_t seen[4];
	char peers[4][64];
	u_int count;
} collect_t;

static bool collect(collect_t *this, qcd_journal_entry_t *entry)
{
	if (this->count < countof(this->seen))
	{
		this->seen[this->count] = *entry;
		snprintf(this->peers[this->count], sizeof(this->peers[0]), "%#H",
				 entry->remote);
		this->count++;
	}
	return this->count <= this->n;
}

/**
 * Size of the journal file, -1 if missing
 */
static off_t size(char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

START_TEST(test_roundtrip)
{
	char *path = strdup(qcd_tests_path("qcd.journal"));
	ike_sa_t *a = sa(1, 2, FALSE, "192.0.2.100");
	ike_sa_t *b = sa(3, 4, TRUE, "192.0.2.200");
	host_t *moved = host_create_from_string("203.0.113.5", 4500);
	qcd_journal_t *journal;
	collect_t c = { .n = 0 };
	struct stat st;

	/* no file yet: nothing inherited, no error */
	journal = qcd_journal_create(path, 0);
	ck_assert_int_eq(journal->push(journal, (void*)collect, &c, 10), 0);
	ck_assert_int_eq(qcd_tests_logged("journal", FALSE), 0);
	journal->add(journal, a);
	journal->add(journal, b);
	/* created at once, as charon opens it before dropping privileges,
	 * mode 0600; the entries are written on flush only */
	ck_assert_int_eq(size(path), JOURNAL_LEN(0));
	ck_assert(journal->flush(journal));
	ck_assert_int_eq(size(path), JOURNAL_LEN(2));
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	/* MOBIKE moved one, the other is gone: its slot is freed, b keeps its
	 * own, the second */
	journal->update(journal, b->get_unique_id(b), NULL, moved);
	journal->remove(journal, a->get_unique_id(a));
	/* as after a kill -9: the file as of the last write */
	journal->destroy(journal);
	ck_assert_int_eq(size(path), JOURNAL_LEN(2));

	journal = qcd_journal_create(path, 0);
	ck_assert(qcd_tests_logged("lists 1 IKE_SA(s)", FALSE));
	/* kept until pushed: not done with it, so it stays */
	c.n = 0;
	ck_assert_int_eq(journal->push(journal, (void*)collect, &c, 10), 1);
	ck_assert_int_eq(c.count, 1);
	ck_assert(c.seen[0].spi_i == htobe64(3) && c.seen[0].spi_r == htobe64(4));
	ck_assert(c.seen[0].initiator);
	ck_assert_str_eq(c.peers[0], "203.0.113.5[4500]");
	/* inherited entries survive another crash until pushed, in their slot */
	ck_assert(journal->flush(journal));
	ck_assert_int_eq(size(path), JOURNAL_LEN(2));
	/* at most max, then done */
	c = (collect_t){ .n = 1 };
	ck_assert_int_eq(journal->push(journal, (void*)collect, &c, 0), 1);
	ck_assert_int_eq(c.count, 0);
	ck_assert_int_eq(journal->push(journal, (void*)collect, &c, 1), 0);
	/* free slots at the end are truncated away */
	ck_assert(journal->flush(journal));
	ck_assert_int_eq(size(path), JOURNAL_LEN(0));
	journal->destroy(journal);

	a->destroy(a);
	b->destroy(b);
	moved->destroy(moved);
	free(path);
}
END_TEST

START_TEST(test_forget)
{
	char *path = strdup(qcd_tests_path("qcd.journal"));
	ike_sa_t *a = sa(1, 2, FALSE, "192.0.2.100");
	qcd_journal_t *journal;

	journal = qcd_journal_create(path, 0);
	journal->add(journal, a);
	journal->destroy(journal);
	journal = qcd_journal_create(path, 0);
	ck_assert_int_eq(journal->forget_inherited(journal), 1);
	ck_assert_int_eq(journal->forget_inherited(journal), 0);
	journal->destroy(journal);
	ck_assert_int_eq(size(path), JOURNAL_LEN(0));
	a->destroy(a);
	free(path);
}
END_TEST

/**
 * A pusher that, during its round, adds an IKE_SA and writes the journal,
 * as a write job would when an IKE_SA comes up meanwhile
 */
typedef struct {
	qcd_journal_t *journal;
	ike_sa_t *sa;
	u_int calls;
} write_during_t;

static bool write_during(write_during_t *this, qcd_journal_entry_t *entry)
{
	if (!this->calls++)
	{
		this->journal->add(this->journal, this->sa);
		ck_assert(this->journal->flush(this->journal));
	}
	/* no config for the peer yet, the entry stays */
	return FALSE;
}

START_TEST(test_write_during_push)
{
	char *path = strdup(qcd_tests_path("qcd.journal"));
	ike_sa_t *a = sa(1, 2, FALSE, "192.0.2.100");
	ike_sa_t *b = sa(3, 4, TRUE, "192.0.2.101");
	ike_sa_t *c = sa(5, 6, FALSE, "192.0.2.102");
	ike_sa_t *d = sa(7, 8, TRUE, "192.0.2.103");
	write_during_t w = { .sa = d };
	collect_t col = { .n = 0 };
	qcd_journal_t *journal;

	journal = qcd_journal_create(path, 0);
	journal->add(journal, a);
	journal->add(journal, b);
	journal->add(journal, c);
	journal->destroy(journal);

	/* 3 inherited, one new IKE_SA written while the round runs */
	journal = qcd_journal_create(path, 0);
	w.journal = journal;
	ck_assert_int_eq(journal->push(journal, (void*)write_during, &w, 10), 3);
	ck_assert_int_eq(w.calls, 3);
	/* a crash now must lose none of them */
	ck_assert_int_eq(size(path), JOURNAL_LEN(4));
	journal->destroy(journal);
	journal = qcd_journal_create(path, 0);
	ck_assert_int_eq(journal->push(journal, (void*)collect, &col, 10), 4);
	ck_assert_int_eq(col.count, 4);
	journal->destroy(journal);

	a->destroy(a);
	b->destroy(b);
	c->destroy(c);
	d->destroy(d);
	free(path);
}
END_TEST

START_TEST(test_symmetric)
{
	char *path = strdup(qcd_tests_path("qcd.journal"));
	ike_sa_t *a = sa(1, 2, FALSE, "192.0.2.100");
	ike_sa_t *y = sa(3, 4, TRUE, "0.0.0.0");
	ike_sa_t *z = sa(5, 6, TRUE, "192.0.2.101");
	collect_t c = { .n = 0 };
	qcd_journal_t *journal;

	z->set_other_host(z, host_create_from_string("192.0.2.101", 0));
	/* what decode_entry() would reject is not written at all, so that it
	 * can't make the whole file unreadable at the next start */
	journal = qcd_journal_create(path, 0);
	journal->add(journal, a);
	journal->add(journal, y);
	journal->add(journal, z);
	journal->destroy(journal);
	ck_assert_int_eq(size(path), JOURNAL_LEN(1));
	journal = qcd_journal_create(path, 0);
	ck_assert_int_eq(qcd_tests_logged("ignoring journal file", FALSE), 0);
	ck_assert_int_eq(journal->push(journal, (void*)collect, &c, 10), 1);
	journal->destroy(journal);
	a->destroy(a);
	y->destroy(y);
	z->destroy(z);
	free(path);
}
END_TEST

/**
 * Write a valid journal of one entry into buf
 */
static void one_entry(char *path, u_char *buf)
{
	ike_sa_t *a = sa(1, 2, FALSE, "192.0.2.100");
	qcd_journal_t *journal;
	FILE *f;

	journal = qcd_journal_create(path, 0);
	journal->add(journal, a);
	journal->destroy(journal);
	f = fopen(path, "r");
	ck_assert(f && fread(buf, 1, JOURNAL_LEN(1), f) == JOURNAL_LEN(1));
	fclose(f);
	a->destroy(a);
}

/**
 * Damage a valid one-entry journal's header or length, expect it ignored
 * as a whole with one error
 */
static void assert_ignored(int damage, char *error)
{
	char *path = strdup(qcd_tests_path("qcd.journal"));
	u_char buf[JOURNAL_LEN(1) + 8];
	collect_t c = { .n = 1 };
	qcd_journal_t *journal;
	chunk_t data;

	one_entry(path, buf);
	data = chunk_create(buf, JOURNAL_LEN(1));
	switch (damage)
	{
		case 0:		/* a flipped bit in the header's reserved bytes */
			buf[40] ^= 0x01;
			break;
		case 1:		/* truncated within a slot */
			data.len -= 9;
			break;
		case 2:		/* trailing data */
			memset(buf + data.len, 0, 8);
			data.len += 8;
			break;
		case 3:		/* other data */
			memcpy(buf, "QCDS", 4);
			break;
		case 4:		/* a future version */
			buf[4] = 3;
			break;
		case 5:		/* version 1, as the plugin wrote before 0.2 */
			buf[4] = 1;
			break;
	}
	qcd_tests_write(path, data, 0600);
	qcd_tests_logged("", TRUE);
	journal = qcd_journal_create(path, 0);
	ck_assert_int_eq(journal->push(journal, (void*)collect, &c, 10), 0);
	ck_assert_int_eq(c.count, 0);
	/* one error, naming the problem */
	ck_assert_int_eq(qcd_tests_logged("ignoring journal file", FALSE), 1);
	ck_assert(qcd_tests_logged(error, FALSE));
	/* started anew, never trusted in part */
	ck_assert_int_eq(size(path), JOURNAL_LEN(0));
	journal->destroy(journal);
	ck_assert_int_eq(size(path), JOURNAL_LEN(0));
	free(path);
}

START_TEST(test_corrupt)
{
	char *errors[] = {
		"truncated or corrupt",
		"truncated or corrupt",
		"truncated or corrupt",
		"not a QCD journal",
		"unknown format version",
		"unknown format version",
	};

	assert_ignored(_i, errors[_i]);
}
END_TEST

START_TEST(test_damaged_slot)
{
	char *path = strdup(qcd_tests_path("qcd.journal"));
	u_char buf[JOURNAL_LEN(3)];
	collect_t c = { .n = 0 };
	qcd_journal_t *journal;

	/* slot 0 valid, slot 1 the same with a flipped bit in the peer's
	 * address, slot 2 garbage */
	one_entry(path, buf);
	memcpy(buf + JOURNAL_LEN(1), buf + 64, 64);
	buf[JOURNAL_LEN(1) + 40] ^= 0x01;
	memset(buf + JOURNAL_LEN(2), 0x5a, 64);
	qcd_tests_write(path, chunk_create(buf, sizeof(buf)), 0600);
	qcd_tests_logged("", TRUE);
	journal = qcd_journal_create(path, 0);
	/* one bad slot costs one entry, not the journal */
	ck_assert_int_eq(journal->push(journal, (void*)collect, &c, 10), 1);
	ck_assert_int_eq(c.count, 1);
	ck_assert(c.seen[0].spi_i == htobe64(1) && c.seen[0].spi_r == htobe64(2));
	ck_assert_int_eq(qcd_tests_logged("ignoring 2 damaged slot(s)", FALSE), 1);
	ck_assert_int_eq(qcd_tests_logged("ignoring journal file", FALSE), 0);
	/* the damaged slots are freed and truncated away */
	ck_assert(journal->flush(journal));
	ck_assert_int_eq(size(path), JOURNAL_LEN(1));
	journal->destroy(journal);
	free(path);
}
END_TEST

START_TEST(test_slots)
{
	char *path = strdup(qcd_tests_path("qcd.journal"));
	ike_sa_t *s[4] = {
		sa(1, 2, FALSE, "192.0.2.100"), sa(3, 4, FALSE, "192.0.2.101"),
		sa(5, 6, FALSE, "192.0.2.102"), sa(7, 8, FALSE, "192.0.2.103"),
	};
	u_char buf[JOURNAL_LEN(3)];
	qcd_journal_t *journal;
	struct dirent *entry;
	struct stat before, after;
	int i, files = 0;
	DIR *dir;
	FILE *f;

	journal = qcd_journal_create(path, 0);
	ck_assert_int_eq(stat(path, &before), 0);
	for (i = 0; i < 3; i++)
	{
		journal->add(journal, s[i]);
	}
	ck_assert(journal->flush(journal));
	/* a freed slot is reused, in place: the file keeps its inode, so
	 * nothing but the file itself is ever written (AppArmor allows only
	 * that file under /run), and no temporary file is left */
	journal->remove(journal, s[1]->get_unique_id(s[1]));
	journal->add(journal, s[3]);
	ck_assert(journal->flush(journal));
	ck_assert_int_eq(stat(path, &after), 0);
	ck_assert(before.st_ino == after.st_ino);
	ck_assert_int_eq(size(path), JOURNAL_LEN(3));
	f = fopen(path, "r");
	ck_assert(f && fread(buf, 1, sizeof(buf), f) == sizeof(buf));
	fclose(f);
	ck_assert(untoh64(buf + JOURNAL_LEN(1)) == 7);
	ck_assert(untoh64(buf + JOURNAL_LEN(1) + 8) == 8);
	dir = opendir(qcd_tests_path(""));
	while ((entry = readdir(dir)))
	{
		files += entry->d_name[0] != '.';
	}
	closedir(dir);
	ck_assert_int_eq(files, 1);
	journal->destroy(journal);
	for (i = 0; i < 4; i++)
	{
		s[i]->destroy(s[i]);
	}
	free(path);
}
END_TEST

START_TEST(test_oversized)
{
	char *path = strdup(qcd_tests_path("qcd.journal"));
	qcd_journal_t *journal;
	FILE *f;

	/* larger than any valid journal: not even read */
	f = fopen(path, "w");
	ck_assert(f != NULL);
	ck_assert_int_eq(fseeko(f, JOURNAL_LEN((off_t)QCD_JOURNAL_MAX_ENTRIES),
							SEEK_SET), 0);
	fputc(0, f);
	fclose(f);
	chmod(path, 0600);
	journal = qcd_journal_create(path, 0);
	ck_assert(qcd_tests_logged("ignoring journal file", FALSE));
	ck_assert(qcd_tests_logged("too large", FALSE));
	journal->destroy(journal);
	ck_assert_int_eq(size(path), JOURNAL_LEN(0));
	free(path);
}
END_TEST

START_TEST(test_writable)
{
	char *path = strdup(qcd_tests_path("qcd.journal"));
	ike_sa_t *a = sa(1, 2, FALSE, "192.0.2.100");
	collect_t c = { .n = 0 };
	qcd_journal_t *journal;
	mode_t modes[] = { 0620, 0602 };
	struct stat st;
	int i;

	for (i = 0; i < countof(modes); i++)
	{
		unlink(path);
		journal = qcd_journal_create(path, 0);
		journal->add(journal, a);
		journal->destroy(journal);
		ck_assert_int_eq(chmod(path, modes[i]), 0);
		/* a local user could choose the targets of our pushes */
		journal = qcd_journal_create(path, 0);
		ck_assert(qcd_tests_logged("writable by group or others", TRUE));
		ck_assert_int_eq(journal->push(journal, (void*)collect, &c, 10), 0);
		journal->add(journal, a);
		ck_assert(!journal->flush(journal));
		journal->destroy(journal);
		/* not used, not overwritten */
		ck_assert_int_eq(stat(path, &st), 0);
		ck_assert_int_eq(st.st_mode & 0777, modes[i]);
		ck_assert_int_eq(st.st_size, JOURNAL_LEN(1));
	}
	a->destroy(a);
	free(path);
}
END_TEST

START_TEST(test_owner)
{
	char *path = strdup(qcd_tests_path("qcd.journal"));
	ike_sa_t *a = sa(1, 2, FALSE, "192.0.2.100");
	collect_t c = { .n = 0 };
	qcd_journal_t *journal;
	uid_t uid = lib->caps->get_uid(lib->caps);

	if (geteuid() != 0)
	{	/* chown needs root */
		return;
	}
	journal = qcd_journal_create(path, 0);
	journal->add(journal, a);
	journal->destroy(journal);
	ck_assert_int_eq(chown(path, 4711, 4711), 0);
	/* another user's file is not used */
	journal = qcd_journal_create(path, 0);
	ck_assert(qcd_tests_logged("owned by another user", TRUE));
	ck_assert_int_eq(journal->push(journal, (void*)collect, &c, 10), 0);
	journal->destroy(journal);
	/* but charon.user's is, as after a start with charon.user set */
	lib->caps->set_uid(lib->caps, 4711);
	journal = qcd_journal_create(path, 0);
	lib->caps->set_uid(lib->caps, uid);
	ck_assert_int_eq(qcd_tests_logged("owned by another user", TRUE), 0);
	ck_assert_int_eq(journal->push(journal, (void*)collect, &c, 10), 1);
	journal->destroy(journal);
	a->destroy(a);
	free(path);
}
END_TEST

static void setup_jobs()
{
	setup();
	qcd_tests_scheduler_start();
}

static void teardown_jobs()
{
	qcd_tests_scheduler_stop();
	teardown();
}

/**
 * Run the one scheduled write job
 */
static void run_job()
{
	job_t *job;

	ck_assert_int_eq(qcd_tests_scheduled()->get_count(
						qcd_tests_scheduled()), 1);
	qcd_tests_scheduled()->remove_first(qcd_tests_scheduled(), (void**)&job);
	job->execute(job);
	job->destroy(job);
}

START_TEST(test_coalesce)
{
	char *path = strdup(qcd_tests_path("qcd.journal"));
	ike_sa_t *a = sa(1, 2, FALSE, "192.0.2.100");
	ike_sa_t *b = sa(3, 4, TRUE, "192.0.2.101");
	qcd_journal_t *journal;

	journal = qcd_journal_create(path, 50);
	/* after a quiet time, a change is written at once, with what else
	 * changed until the job runs (issue 17 item 8) */
	journal->add(journal, a);
	ck_assert_int_eq(qcd_tests_scheduled_ms(), 0);
	journal->add(journal, b);
	run_job();
	ck_assert_int_eq(size(path), JOURNAL_LEN(2));
	/* an IKE_SA that comes up right after a write, as after a push round,
	 * is on disk at most 50 ms later, not a second later */
	journal->remove(journal, b->get_unique_id(b));
	ck_assert_int_le(qcd_tests_scheduled_ms(), 50);
	run_job();
	ck_assert_int_eq(size(path), JOURNAL_LEN(1));
	journal->destroy(journal);
	ck_assert_int_eq(qcd_tests_scheduled()->get_count(
						qcd_tests_scheduled()), 0);
	a->destroy(a);
	b->destroy(b);
	free(path);
}
END_TEST

/**
 * Let writes beyond n slots fail with EFBIG
 */
static void limit_slots(rlim_t n)
{
	struct rlimit rl = {
		.rlim_cur = JOURNAL_LEN(n),
		.rlim_max = RLIM_INFINITY,
	};

	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

START_TEST(test_failing)
{
	char *path = strdup(qcd_tests_path("qcd.journal"));
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	ike_sa_t *a = sa(1, 2, FALSE, "192.0.2.100");
	ike_sa_t *b = sa(3, 4, TRUE, "192.0.2.101");
	qcd_journal_t *journal;
	job_t *job;
	int i;

	journal = qcd_journal_create(path, 50);
	journal->add(journal, a);
	run_job();
	limit_slots(1);
	journal->add(journal, b);
	/* a failing write is logged once, retried, backing off */
	for (i = 0; i < 4; i++)
	{
		run_job();
		/* the delay counts from the end of the failed write: a slow run
		 * (valgrind) may schedule it a few milliseconds later */
		ck_assert_int_le(qcd_tests_scheduled_ms(), 1000 << i);
		ck_assert_int_ge(qcd_tests_scheduled_ms(), (1000 << i) - 200);
	}
	ck_assert_int_eq(qcd_tests_logged("failed", FALSE), 1);
	ck_assert_int_eq(size(path), JOURNAL_LEN(1));
	/* and once more when it works again, losing nothing */
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &unlimited), 0);
	run_job();
	ck_assert_int_eq(size(path), JOURNAL_LEN(2));
	ck_assert_int_eq(qcd_tests_logged("works again", FALSE), 1);
	/* a last write that fails schedules no job on a freed journal */
	journal->remove(journal, a->get_unique_id(a));
	run_job();
	limit_slots(0);
	journal->add(journal, a);
	while (qcd_tests_scheduled()->remove_first(qcd_tests_scheduled(),
											   (void**)&job) == SUCCESS)
	{
		job->destroy(job);
	}
	journal->destroy(journal);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &unlimited), 0);
	ck_assert_int_eq(qcd_tests_scheduled()->get_count(
						qcd_tests_scheduled()), 0);
	a->destroy(a);
	b->destroy(b);
	free(path);
}
END_TEST

START_TEST(test_unusable_dir)
{
	char path[256];
	ike_sa_t *a = sa(1, 2, FALSE, "192.0.2.100");
	qcd_journal_t *journal;

	/* opened once, at start, as root: a missing folder is logged once and
	 * nothing is journaled or scheduled */
	snprintf(path, sizeof(path), "%s/qcd.journal", qcd_tests_path("missing"));
	journal = qcd_journal_create(path, 50);
	ck_assert_int_eq(qcd_tests_logged("opening journal file", FALSE), 1);
	journal->add(journal, a);
	ck_assert_int_eq(qcd_tests_scheduled()->get_count(
						qcd_tests_scheduled()), 0);
	journal->destroy(journal);
	a->destroy(a);
}
END_TEST

START_TEST(test_fifo)
{
	char *path = strdup(qcd_tests_path("qcd.journal"));
	qcd_journal_t *journal;

	ck_assert_int_eq(mkfifo(path, 0600), 0);
	/* must neither block nor be read */
	alarm(10);
	journal = qcd_journal_create(path, 0);
	alarm(0);
	ck_assert(qcd_tests_logged("not a regular file", FALSE));
	journal->destroy(journal);
	free(path);
}
END_TEST

/**
 * The push job with charon's parts replaced: the processor keeps the job,
 * the IKE_SA manager holds one IKE_SA, as the ha plugin installs those its
 * partner holds (PASSIVE), and the responder counts what it is offered
 */
static processor_t processor, *charon_processor;
static ike_sa_manager_t manager, *charon_manager;
static linked_list_t *jobs;
static ike_sa_t *held_sa;
static u_int offered;
static uint64_t offered_spi;
/** the peer of this entry has no config, if set */
static host_t *unconfigured;

METHOD(processor_t, queue_job, void, processor_t *this, job_t *job)
{
	jobs->insert_last(jobs, job);
}

METHOD(ike_sa_manager_t, checkout, ike_sa_t*, ike_sa_manager_t *this,
	   ike_sa_id_t *id)
{
	return held_sa && id->equals(id, held_sa->get_id(held_sa)) ? held_sa
															   : NULL;
}

METHOD(ike_sa_manager_t, checkin, void, ike_sa_manager_t *this,
	   ike_sa_t *ike_sa)
{
}

/** half-open IKE_SAs charon has */
static u_int half_open;

METHOD(ike_sa_manager_t, get_half_open_count, u_int, ike_sa_manager_t *this,
	   host_t *ip, bool responder_only)
{
	ck_assert(!ip && responder_only);
	return half_open;
}

METHOD(qcd_responder_t, offer, bool, qcd_responder_t *this,
	   qcd_journal_entry_t *entry)
{
	if (unconfigured && unconfigured->ip_equals(unconfigured, entry->remote))
	{
		return FALSE;
	}
	offered++;
	offered_spi = entry->spi_i;
	return TRUE;
}

static void setup_push()
{
	setup();
	jobs = linked_list_create();
	charon_processor = lib->processor;
	processor = *lib->processor;
	processor.queue_job = _queue_job;
	lib->processor = &processor;
	charon_manager = charon->ike_sa_manager;
	manager = (ike_sa_manager_t){
		.checkout = _checkout,
		.checkin = _checkin,
		.get_half_open_count = _get_half_open_count,
	};
	half_open = 0;
	charon->ike_sa_manager = &manager;
	held_sa = NULL;
	offered = 0;
	unconfigured = NULL;
}

static void teardown_push()
{
	DESTROY_IF(unconfigured);
	charon->ike_sa_manager = charon_manager;
	lib->processor = charon_processor;
	jobs->destroy_offset(jobs, offsetof(job_t, destroy));
	teardown();
}

START_TEST(test_push_held)
{
	char *path = strdup(qcd_tests_path("qcd.journal"));
	ike_sa_t *a = sa(1, 2, FALSE, "192.0.2.100");
	ike_sa_t *b = sa(3, 4, FALSE, "192.0.2.200");
	qcd_responder_t responder = { .push = _offer };
	qcd_journal_t *journal;
	job_requeue_t requeue;
	collect_t c = { .n = 0 };
	job_t *job;
	int runs = 0;

	journal = qcd_journal_create(path, 0);
	journal->add(journal, a);
	journal->add(journal, b);
	ck_assert(journal->flush(journal));
	journal->destroy(journal);

	/* restarted: the HA partner's resync installed b as PASSIVE, alive on
	 * the partner, before the push round (R9.2-1) */
	b->set_state(b, IKE_PASSIVE);
	held_sa = b;
	journal = qcd_journal_create(path, 0);
	qcd_push_start(journal, &responder, 0, 0, 60);
	ck_assert_int_eq(jobs->get_count(jobs), 1);
	jobs->remove_first(jobs, (void**)&job);
	do
	{
		requeue = job->execute(job);
	}
	while (requeue.type != JOB_REQUEUE_TYPE_NONE && ++runs < 10);
	job->destroy(job);
	/* only a is pushed, and the log says what happened to both */
	ck_assert_int_eq(offered, 1);
	ck_assert(offered_spi == htobe64(1));
	ck_assert_int_eq(qcd_tests_logged("qcd: pushed 1 journaled IKE_SA(s) "
									  "to their peers", FALSE), 1);
	ck_assert_int_eq(qcd_tests_logged("qcd: not pushing for 1 journaled "
									  "IKE_SA(s) charon holds", FALSE), 1);
	/* both done with */
	ck_assert_int_eq(journal->push(journal, (void*)collect, &c, 10), 0);
	ck_assert_int_eq(c.count, 0);
	journal->destroy(journal);

	a->destroy(a);
	b->destroy(b);
	free(path);
}
END_TEST

/**
 * Journal n IKE_SAs with peers from 198.18.0.0/15, restart, start pushing
 */
static qcd_journal_t *journal_restarted(char *path, u_int n, u_int rate,
										u_int half_open, u_int timeout)
{
	static qcd_responder_t responder;
	qcd_journal_t *journal;
	ike_sa_t *ike_sa;
	char peer[32];
	u_int i;

	journal = qcd_journal_create(path, 0);
	for (i = 0; i < n; i++)
	{
		snprintf(peer, sizeof(peer), "198.18.%u.%u", i / 250, i % 250 + 1);
		ike_sa = sa(i + 1, i + 1, FALSE, peer);
		journal->add(journal, ike_sa);
		ike_sa->destroy(ike_sa);
	}
	ck_assert(journal->flush(journal));
	journal->destroy(journal);
	journal = qcd_journal_create(path, 0);
	responder = (qcd_responder_t){ .push = _offer };
	qcd_push_start(journal, &responder, rate, half_open, timeout);
	return journal;
}

/**
 * Run the push job's rounds, QCD_PUSH_TICK apart, at most max of them;
 * the most entries a round took in *most
 */
static u_int run_rounds(u_int max, u_int *most)
{
	job_requeue_t requeue;
	u_int rounds = 0, before;
	job_t *job;

	ck_assert_int_eq(jobs->get_count(jobs), 1);
	jobs->remove_first(jobs, (void**)&job);
	*most = 0;
	do
	{
		before = offered;
		requeue = job->execute(job);
		*most = max(*most, offered - before);
		rounds++;
		if (requeue.type != JOB_REQUEUE_TYPE_NONE)
		{
			usleep(QCD_PUSH_TICK * 1000);
		}
	}
	while (requeue.type != JOB_REQUEUE_TYPE_NONE && rounds < max);
	ck_assert(requeue.type == JOB_REQUEUE_TYPE_NONE);
	job->destroy(job);
	return rounds;
}

START_TEST(test_push_paced)
{
	char *path = strdup(qcd_tests_path("qcd.journal"));
	qcd_journal_t *journal;
	u_int rounds, most;

	/* more entries than the pace pushes before push_timeout, which
	 * applies only to entries without config: all are pushed, at most
	 * rate * QCD_PUSH_TICK per round (#19: with a rate of 1,000 and a
	 * timeout of 2 s, 2,020 of 5,000 were pushed, the rest dropped) */
	journal = journal_restarted(path, 2500, 50000, 0, 0);
	rounds = run_rounds(100, &most);
	ck_assert_int_eq(offered, 2500);
	ck_assert_int_le(most, 50000 * QCD_PUSH_TICK / 1000);
	ck_assert_int_ge(rounds, 3);
	ck_assert_int_eq(qcd_tests_logged("qcd: pushed 2500 journaled IKE_SA(s) "
									  "to their peers", FALSE), 1);
	ck_assert(!qcd_tests_logged("push timeout", FALSE));
	journal->destroy(journal);
	free(path);
}
END_TEST

START_TEST(test_push_unlimited_rounds)
{
	char *path = strdup(qcd_tests_path("qcd.journal"));
	qcd_journal_t *journal;
	u_int rounds, most;

	/* no rate: still at most QCD_PUSH_ROUND entries per round */
	journal = journal_restarted(path, 2500, 0, 0, 60);
	rounds = run_rounds(100, &most);
	ck_assert_int_eq(offered, 2500);
	ck_assert_int_eq(most, QCD_PUSH_ROUND);
	ck_assert_int_eq(rounds, 3);
	journal->destroy(journal);
	free(path);
}
END_TEST

START_TEST(test_push_half_open)
{
	char *path = strdup(qcd_tests_path("qcd.journal"));
	qcd_journal_t *journal;
	job_requeue_t requeue;
	job_t *job;

	/* at most 10 half-open: with 4 from others, 6 pushes per round */
	half_open = 4;
	journal = journal_restarted(path, 20, 0, 10, 60);
	jobs->remove_first(jobs, (void**)&job);
	requeue = job->execute(job);
	ck_assert(requeue.type == JOB_REQUEUE_TYPE_SCHEDULE);
	ck_assert_int_eq(offered, 6);
	requeue = job->execute(job);
	ck_assert_int_eq(offered, 12);
	/* busy with the peers pushed to, or others: no push */
	half_open = 12;
	requeue = job->execute(job);
	requeue = job->execute(job);
	ck_assert_int_eq(offered, 12);
	ck_assert(requeue.type == JOB_REQUEUE_TYPE_SCHEDULE);
	half_open = 0;
	while (requeue.type != JOB_REQUEUE_TYPE_NONE)
	{
		requeue = job->execute(job);
	}
	ck_assert_int_eq(offered, 20);
	job->destroy(job);
	journal->destroy(journal);
	free(path);
}
END_TEST

START_TEST(test_push_unconfigured)
{
	char *path = strdup(qcd_tests_path("qcd.journal"));
	qcd_journal_t *journal;
	job_requeue_t requeue;
	job_t *job;
	u_int i;

	/* one of three peers has no config yet: the others are pushed in the
	 * first round, it is offered again in each round, once, and pushed
	 * when its config is loaded */
	unconfigured = host_create_from_string("198.18.0.2", 0);
	journal = journal_restarted(path, 3, 0, 0, 60);
	jobs->remove_first(jobs, (void**)&job);
	for (i = 0; i < 5; i++)
	{
		requeue = job->execute(job);
		ck_assert(requeue.type == JOB_REQUEUE_TYPE_SCHEDULE);
		ck_assert_int_eq(offered, 2);
	}
	unconfigured->destroy(unconfigured);
	unconfigured = NULL;
	requeue = job->execute(job);
	ck_assert(requeue.type == JOB_REQUEUE_TYPE_NONE);
	ck_assert(offered_spi == htobe64(2));
	ck_assert_int_eq(qcd_tests_logged("qcd: pushed 3 journaled IKE_SA(s) "
									  "to their peers", FALSE), 1);
	ck_assert(!qcd_tests_logged("push timeout", FALSE));
	job->destroy(job);
	journal->destroy(journal);
	free(path);
}
END_TEST

START_TEST(test_push_timeout)
{
	char *path = strdup(qcd_tests_path("qcd.journal"));
	qcd_journal_t *journal;
	collect_t c = { .n = 0 };
	u_int most;

	/* past push_timeout, only the entry without config is dropped, and
	 * said so once */
	unconfigured = host_create_from_string("198.18.0.2", 0);
	journal = journal_restarted(path, 3, 0, 0, 0);
	run_rounds(10, &most);
	ck_assert_int_eq(offered, 2);
	ck_assert_int_eq(qcd_tests_logged("qcd: pushed 2 journaled IKE_SA(s) "
									  "to their peers", FALSE), 1);
	ck_assert_int_eq(qcd_tests_logged("qcd: push timeout, no config loaded "
						"for the peers of 1 journaled IKE_SA(s)", FALSE), 1);
	ck_assert_int_eq(journal->push(journal, (void*)collect, &c, 10), 0);
	journal->destroy(journal);
	free(path);
}
END_TEST

Suite *journal_suite_create()
{
	Suite *s;
	TCase *tc;

	s = suite_create("journal");
	tc = tcase_create("file");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_forget);
	tcase_add_test(tc, test_write_during_push);
	tcase_add_test(tc, test_symmetric);
	tcase_add_loop_test(tc, test_corrupt, 0, 6);
	tcase_add_test(tc, test_damaged_slot);
	tcase_add_test(tc, test_slots);
	tcase_add_test(tc, test_oversized);
	tcase_add_test(tc, test_writable);
	tcase_add_test(tc, test_owner);
	tcase_add_test(tc, test_fifo);
	suite_add_tcase(s, tc);

	tc = tcase_create("writes");
	tcase_add_checked_fixture(tc, setup_jobs, teardown_jobs);
	tcase_add_test(tc, test_coalesce);
	tcase_add_test(tc, test_failing);
	tcase_add_test(tc, test_unusable_dir);
	suite_add_tcase(s, tc);

	tc = tcase_create("push");
	tcase_add_checked_fixture(tc, setup_push, teardown_push);
	tcase_add_test(tc, test_push_held);
	tcase_add_test(tc, test_push_paced);
	tcase_add_test(tc, test_push_unlimited_rounds);
	tcase_add_test(tc, test_push_half_open);
	tcase_add_test(tc, test_push_unconfigured);
	tcase_add_test(tc, test_push_timeout);
	suite_add_tcase(s, tc);
	return s;
}
