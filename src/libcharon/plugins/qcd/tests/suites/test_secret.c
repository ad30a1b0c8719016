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

#include <qcd_secret.h>

#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/**
 * A valid version 1 file with n generations, generation g filled with g+1
 */
static chunk_t valid_file(int n)
{
	static u_char buf[8 + QCD_SECRET_LEN * QCD_SECRET_GENERATIONS];
	int i;

	memcpy(buf, "QCDS\x01", 5);
	buf[5] = n;
	buf[6] = buf[7] = 0;
	for (i = 0; i < n; i++)
	{
		memset(buf + 8 + i * QCD_SECRET_LEN, i + 1, QCD_SECRET_LEN);
	}
	return chunk_create(buf, 8 + QCD_SECRET_LEN * n);
}

/**
 * Read a whole file
 */
static chunk_t read_file(char *path)
{
	chunk_t *data = chunk_map(path, FALSE), copy;

	ck_assert(data != NULL);
	copy = chunk_clone(*data);
	chunk_unmap(data);
	return copy;
}

/**
 * Number of files in the test's directory
 */
static int count_files()
{
	enumerator_t *enumerator;
	char *rel;
	int count = 0;

	enumerator = enumerator_create_directory(qcd_tests_path(""));
	ck_assert(enumerator != NULL);
	while (enumerator->enumerate(enumerator, &rel, NULL, NULL))
	{
		count++;
	}
	enumerator->destroy(enumerator);
	return count;
}

START_TEST(test_create_and_reload)
{
	qcd_secret_t *secret, *again;
	char *path = qcd_tests_path("qcd.secret");
	struct stat st;

	ck_assert(qcd_secret_load(path, FALSE) == NULL);
	secret = qcd_secret_load(path, TRUE);
	ck_assert(secret != NULL);
	ck_assert_int_eq(secret->get_count(secret), 1);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(st.st_size, 8 + QCD_SECRET_LEN);
	ck_assert_int_eq(strlen(secret->get_fingerprint(secret)), 8);

	again = qcd_secret_load(path, TRUE);
	ck_assert(again != NULL);
	ck_assert(chunk_equals(secret->get(secret, 0), again->get(again, 0)));
	ck_assert_str_eq(secret->get_fingerprint(secret),
					 again->get_fingerprint(again));
	/* no temporary files left beside it */
	ck_assert_int_eq(count_files(), 1);
	secret->destroy(secret);
	again->destroy(again);
}
END_TEST

START_TEST(test_fingerprint)
{
	qcd_secret_t *secret;
	char *path = qcd_tests_path("qcd.secret");
	u_char buf[8 + QCD_SECRET_LEN] = "QCDS\x01\x01";
	int i;

	for (i = 0; i < QCD_SECRET_LEN; i++)
	{
		buf[8 + i] = i;
	}
	qcd_tests_write(path, chunk_from_thing(buf), 0600);
	secret = qcd_secret_load(path, FALSE);
	ck_assert(secret != NULL);
	/* first 4 bytes of SHA-256 over 00..1f, from Python's hashlib */
	ck_assert_str_eq(secret->get_fingerprint(secret), "630dcd29");
	secret->destroy(secret);
}
END_TEST

/**
 * Files that must be refused, and stay as they are
 */
static struct {
	char *name;
	size_t len;
	mode_t mode;
	u_char byte;
	u_char value;
} refused[] = {
	{ "truncated header", 5, 0600, 0, 0 },
	{ "truncated secret", 8 + QCD_SECRET_LEN - 1, 0600, 0, 0 },
	{ "bad magic", 8 + QCD_SECRET_LEN, 0600, 0, 'X' },
	{ "unknown version", 8 + QCD_SECRET_LEN, 0600, 4, 2 },
	{ "no generations", 8 + QCD_SECRET_LEN, 0600, 5, 0 },
	{ "too many generations", 8 + QCD_SECRET_LEN, 0600, 5, 5 },
	{ "count mismatch", 8 + QCD_SECRET_LEN, 0600, 5, 2 },
	{ "reserved set", 8 + QCD_SECRET_LEN, 0600, 7, 1 },
	{ "group readable", 8 + QCD_SECRET_LEN, 0640, 0, 'Q' },
	{ "world readable", 8 + QCD_SECRET_LEN, 0604, 0, 'Q' },
	{ "empty", 0, 0600, 0, 0 },
};

START_TEST(test_refused)
{
	char *path = qcd_tests_path("qcd.secret");
	chunk_t data = chunk_clone(valid_file(1)), after;

	data.len = refused[_i].len;
	if (data.len)
	{
		data.ptr[refused[_i].byte] = refused[_i].value;
	}
	qcd_tests_write(path, data, refused[_i].mode);
	/* refused even with create, and never overwritten */
	ck_assert_msg(qcd_secret_load(path, TRUE) == NULL, "%s accepted",
				  refused[_i].name);
	after = read_file(path);
	ck_assert_int_eq(after.len, data.len);
	ck_assert(!data.len || memeq(data.ptr, after.ptr, data.len));
	chunk_free(&after);
	chunk_free(&data);
}
END_TEST

START_TEST(test_trailing_data)
{
	char *path = qcd_tests_path("qcd.secret");
	chunk_t data = chunk_cat("cc", valid_file(1), chunk_from_str("x"));

	qcd_tests_write(path, data, 0600);
	ck_assert(qcd_secret_load(path, TRUE) == NULL);
	chunk_free(&data);
}
END_TEST

START_TEST(test_wrong_owner)
{
	char *path = qcd_tests_path("qcd.secret");

	qcd_secret_t *secret;

	qcd_tests_write(path, valid_file(1), 0600);
	secret = qcd_secret_load(path, FALSE);
	ck_assert(secret != NULL);
	secret->destroy(secret);
	if (geteuid() != 0)
	{	/* only root can give the file away */
		return;
	}
	ck_assert_int_eq(chown(path, 1, 1), 0);
	ck_assert(qcd_secret_load(path, TRUE) == NULL);
}
END_TEST

START_TEST(test_charon_user)
{
	char *path = qcd_tests_path("qcd.secret");
	uid_t uid = lib->caps->get_uid(lib->caps);
	qcd_secret_t *secret;
	struct stat st;

	if (geteuid() != 0)
	{	/* only root can give the file away */
		return;
	}
	/* charon.user set: created by root before the privilege drop, the
	 * file belongs to that user, who reloads it later */
	lib->caps->set_uid(lib->caps, 4711);
	secret = qcd_secret_load(path, TRUE);
	ck_assert(secret != NULL);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_uid, 4711);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	/* qcd-secret --rotate as root keeps the owner */
	lib->caps->set_uid(lib->caps, uid);
	ck_assert(secret->rotate(secret, path));
	secret->destroy(secret);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_uid, 4711);
	/* another user's file when charon.user is not that user */
	ck_assert(qcd_secret_load(path, FALSE) == NULL);
	lib->caps->set_uid(lib->caps, 4711);
	secret = qcd_secret_load(path, FALSE);
	lib->caps->set_uid(lib->caps, uid);
	ck_assert(secret != NULL);
	ck_assert_int_eq(secret->get_count(secret), 2);
	secret->destroy(secret);
}
END_TEST

START_TEST(test_charon_group)
{
	char *path = qcd_tests_path("qcd.secret");
	gid_t gid = lib->caps->get_gid(lib->caps);
	qcd_secret_t *secret;
	struct stat st;

	if (geteuid() != 0)
	{	/* only root can give the file away */
		return;
	}
	/* charon.group set: root's, readable by that group, so that root
	 * reads it as its owner (no CAP_DAC_READ_SEARCH, which AppArmor
	 * denies) and charon reloads it after dropping its privileges */
	lib->settings->set_str(lib->settings, "charon.group", "qcdtest");
	lib->caps->set_gid(lib->caps, 4711);
	secret = qcd_secret_load(path, TRUE);
	ck_assert(secret != NULL);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_uid, 0);
	ck_assert_int_eq(st.st_gid, 4711);
	ck_assert_int_eq(st.st_mode & 0777, 0640);
	/* rotation keeps owner, group and mode */
	ck_assert(secret->rotate(secret, path));
	secret->destroy(secret);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_gid, 4711);
	ck_assert_int_eq(st.st_mode & 0777, 0640);
	secret = qcd_secret_load(path, FALSE);
	ck_assert(secret != NULL);
	secret->destroy(secret);
	/* readable by another group, or without charon.group: refused */
	lib->caps->set_gid(lib->caps, gid);
	ck_assert(qcd_secret_load(path, FALSE) == NULL);
	lib->settings->set_str(lib->settings, "charon.group", "");
	lib->caps->set_gid(lib->caps, 4711);
	ck_assert(qcd_secret_load(path, FALSE) == NULL);
	lib->caps->set_gid(lib->caps, gid);
	ck_assert_int_eq(chown(path, 0, gid), 0);
	ck_assert(qcd_secret_load(path, FALSE) == NULL);
}
END_TEST

START_TEST(test_symlink)
{
	char *path = qcd_tests_path("qcd.secret"), target[128];

	snprintf(target, sizeof(target), "%s.real", path);
	qcd_tests_write(target, valid_file(1), 0600);
	unlink(path);
	ck_assert_int_eq(symlink(target, path), 0);
	ck_assert(qcd_secret_load(path, TRUE) == NULL);
}
END_TEST

START_TEST(test_fifo)
{
	char *path = qcd_tests_path("qcd.secret");

	ck_assert_int_eq(mkfifo(path, 0600), 0);
	/* refused at once: without O_NONBLOCK, open() waits for a writer and
	 * charon with it; SIGALRM ends the test binary if it hangs */
	alarm(10);
	ck_assert(qcd_secret_load(path, TRUE) == NULL);
	alarm(0);
	ck_assert_int_eq(count_files(), 1);
}
END_TEST

/**
 * The PID of a process that no longer exists
 */
static pid_t dead_pid()
{
	pid_t pid = fork();

	if (pid == 0)
	{
		_exit(0);
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	return pid;
}

START_TEST(test_stale_temp)
{
	char *path = qcd_tests_path("qcd.secret"), stale[128], live[128];
	char other[128], reused[128];
	qcd_secret_t *secret;
	int fd;

	/* a writer killed between writing its temporary file and renaming it
	 * leaves <path>.<pid>.XXXXXX with a secret in it; its PID may be that
	 * of a live process by now, even ours */
	snprintf(stale, sizeof(stale), "%s.%u.a1B2c3", path, dead_pid());
	snprintf(reused, sizeof(reused), "%s.%u.z9Y8x7", path, getpid());
	/* a writer at work, say in another PID namespace, holds a lock on it
	 * whatever PID its name says */
	snprintf(live, sizeof(live), "%s.%u.a1B2c3", path, dead_pid());
	snprintf(other, sizeof(other), "%s.backup", path);
	qcd_tests_write(stale, valid_file(1), 0600);
	qcd_tests_write(reused, valid_file(1), 0600);
	qcd_tests_write(live, valid_file(1), 0600);
	qcd_tests_write(other, valid_file(1), 0600);
	fd = open(live, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flock(fd, LOCK_EX), 0);
	secret = qcd_secret_load(path, TRUE);
	ck_assert(secret != NULL);
	secret->destroy(secret);
	close(fd);
	ck_assert(access(stale, F_OK) != 0);
	ck_assert(access(reused, F_OK) != 0);
	/* a writer at work, and files not ours, stay */
	ck_assert_int_eq(access(live, F_OK), 0);
	ck_assert_int_eq(access(other, F_OK), 0);
	ck_assert_int_eq(count_files(), 3);
}
END_TEST

/** Processes creating the file at once */
#define CREATORS 6

START_TEST(test_create_race)
{
	char *path = qcd_tests_path("qcd.secret"), fp[CREATORS][9];
	int fds[CREATORS][2], i, status;
	pid_t pids[CREATORS];
	qcd_secret_t *secret;

	/* the losers of the race read the winner's file, none fails */
	for (i = 0; i < CREATORS; i++)
	{
		ck_assert_int_eq(pipe(fds[i]), 0);
		pids[i] = fork();
		if (pids[i] == 0)
		{
			secret = qcd_secret_load(path, TRUE);
			status = secret &&
				write(fds[i][1], secret->get_fingerprint(secret), 8) == 8;
			DESTROY_IF(secret);
			_exit(status ? 0 : 1);
		}
		close(fds[i][1]);
	}
	for (i = 0; i < CREATORS; i++)
	{
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		ck_assert_int_eq(read(fds[i][0], fp[i], 8), 8);
		fp[i][8] = '\0';
		close(fds[i][0]);
		ck_assert_str_eq(fp[i], fp[0]);
	}
	secret = qcd_secret_load(path, FALSE);
	ck_assert(secret != NULL);
	ck_assert_str_eq(secret->get_fingerprint(secret), fp[0]);
	secret->destroy(secret);
	ck_assert_int_eq(count_files(), 1);
}
END_TEST

START_TEST(test_generations)
{
	qcd_secret_t *secret, *loaded;
	char *path = qcd_tests_path("qcd.secret");
	chunk_t history[6];
	int i;

	qcd_tests_write(path, valid_file(1), 0600);
	secret = qcd_secret_load(path, FALSE);
	ck_assert(secret != NULL);
	history[0] = chunk_clone(secret->get(secret, 0));
	for (i = 1; i < 6; i++)
	{
		ck_assert(secret->rotate(secret, path));
		ck_assert_int_eq(secret->get_count(secret), min(i + 1, 4));
		history[i] = chunk_clone(secret->get(secret, 0));
		ck_assert(!chunk_equals(history[i], history[i - 1]));
	}
	/* the file holds the current and the 3 previous, in order */
	loaded = qcd_secret_load(path, FALSE);
	ck_assert(loaded != NULL);
	ck_assert_int_eq(loaded->get_count(loaded), QCD_SECRET_GENERATIONS);
	for (i = 0; i < QCD_SECRET_GENERATIONS; i++)
	{
		ck_assert(chunk_equals(loaded->get(loaded, i), history[5 - i]));
	}
	ck_assert(loaded->get(loaded, 4).len == 0);
	for (i = 0; i < 6; i++)
	{
		chunk_free(&history[i]);
	}
	secret->destroy(secret);
	loaded->destroy(loaded);
}
END_TEST

Suite *secret_suite_create()
{
	Suite *s;
	TCase *tc;

	s = suite_create("secret file");

	tc = tcase_create("create");
	tcase_add_checked_fixture(tc, qcd_tests_tmpdir, qcd_tests_cleanup);
	tcase_add_test(tc, test_create_and_reload);
	tcase_add_test(tc, test_fingerprint);
	tcase_add_test(tc, test_stale_temp);
	tcase_add_loop_test(tc, test_create_race, 0, 10);
	suite_add_tcase(s, tc);

	tc = tcase_create("refuse");
	tcase_add_checked_fixture(tc, qcd_tests_tmpdir, qcd_tests_cleanup);
	tcase_add_loop_test(tc, test_refused, 0, countof(refused));
	tcase_add_test(tc, test_trailing_data);
	tcase_add_test(tc, test_wrong_owner);
	tcase_add_test(tc, test_charon_user);
	tcase_add_test(tc, test_charon_group);
	tcase_add_test(tc, test_symlink);
	tcase_add_test(tc, test_fifo);
	suite_add_tcase(s, tc);

	tc = tcase_create("rotate");
	tcase_add_checked_fixture(tc, qcd_tests_tmpdir, qcd_tests_cleanup);
	tcase_add_test(tc, test_generations);
	suite_add_tcase(s, tc);

	return s;
}
