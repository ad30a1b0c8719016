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

#include <sys/stat.h>
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

	qcd_tests_write(path, valid_file(1), 0600);
	ck_assert(qcd_secret_load(path, FALSE) != NULL);
	if (geteuid() != 0)
	{	/* only root can give the file away */
		return;
	}
	ck_assert_int_eq(chown(path, 1, 1), 0);
	ck_assert(qcd_secret_load(path, TRUE) == NULL);
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
	suite_add_tcase(s, tc);

	tc = tcase_create("refuse");
	tcase_add_checked_fixture(tc, qcd_tests_tmpdir, qcd_tests_cleanup);
	tcase_add_loop_test(tc, test_refused, 0, countof(refused));
	tcase_add_test(tc, test_trailing_data);
	tcase_add_test(tc, test_wrong_owner);
	tcase_add_test(tc, test_symlink);
	suite_add_tcase(s, tc);

	tc = tcase_create("rotate");
	tcase_add_checked_fixture(tc, qcd_tests_tmpdir, qcd_tests_cleanup);
	tcase_add_test(tc, test_generations);
	suite_add_tcase(s, tc);

	return s;
}
