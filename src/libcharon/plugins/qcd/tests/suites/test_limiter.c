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

#include <qcd_limiter.h>

#include <threading/thread.h>
#include <time.h>
#include <unistd.h>

/**
 * Count allowed events out of n from one address
 */
static int allowed(qcd_limiter_t *limiter, char *addr, int n)
{
	host_t *host = host_create_from_string(addr, 0);
	int i, count = 0;

	for (i = 0; i < n; i++)
	{
		count += limiter->allow(limiter, host);
	}
	host->destroy(host);
	return count;
}

START_TEST(test_source_burst)
{
	/* a rate of 1/s refills at most a few tokens while the test runs */
	qcd_limiter_t *limiter = qcd_limiter_create(0, 0, 1, 10);
	int first;

	first = allowed(limiter, "192.0.2.1", 100);
	ck_assert_int_ge(first, 10);
	ck_assert_int_le(first, 12);
	/* another source has its own bucket */
	ck_assert_int_ge(allowed(limiter, "198.51.100.1", 100), 10);
	limiter->destroy(limiter);
}
END_TEST

START_TEST(test_global_burst)
{
	qcd_limiter_t *limiter = qcd_limiter_create(1, 20, 0, 0);
	int a, b;

	a = allowed(limiter, "192.0.2.1", 15);
	b = allowed(limiter, "198.51.100.1", 100);
	ck_assert_int_eq(a, 15);
	/* the global bucket is shared by all sources */
	ck_assert_int_ge(b, 5);
	ck_assert_int_le(b, 7);
	limiter->destroy(limiter);
}
END_TEST

START_TEST(test_unlimited)
{
	qcd_limiter_t *limiter = qcd_limiter_create(0, 0, 0, 0);

	ck_assert_int_eq(allowed(limiter, "192.0.2.1", 10000), 10000);
	limiter->destroy(limiter);
}
END_TEST

START_TEST(test_refill)
{
	qcd_limiter_t *limiter = qcd_limiter_create(0, 0, 100, 1);

	ck_assert_int_ge(allowed(limiter, "192.0.2.1", 50), 1);
	/* 100/s: after 50 ms, a bucket of one is full again, however slow the
	 * machine is */
	usleep(50000);
	ck_assert_int_ge(allowed(limiter, "192.0.2.1", 1), 1);
	/* a bucket never holds more than its burst */
	usleep(50000);
	ck_assert_int_le(allowed(limiter, "192.0.2.1", 5), 2);
	limiter->destroy(limiter);
}
END_TEST

START_TEST(test_refill_backwards)
{
	/* 5 thousandths of a token left, last refilled at 1001 ms; a thread
	 * that read the clock earlier (1000 ms) must not refill it: as an
	 * unsigned interval, 1000 - 1001 filled it to the full burst */
	qcd_bucket_t bucket = { .tokens = 5, .last = 1001 };

	ck_assert(!qcd_bucket_refill(&bucket, 100, 200, 1000));
	ck_assert_int_eq(bucket.tokens, 5);
	ck_assert_int_eq(bucket.last, 1001);
	/* and the time of the last refill never moves backwards: 10 ms after
	 * 1001 add exactly one token at 100/s */
	ck_assert(qcd_bucket_refill(&bucket, 100, 200, 1011));
	ck_assert_int_eq(bucket.tokens, 1005);
	ck_assert_int_eq(bucket.last, 1011);
	/* capped at the burst */
	ck_assert(qcd_bucket_refill(&bucket, 100, 200, 1000000));
	ck_assert_int_eq(bucket.tokens, 200 * 1000);
}
END_TEST

/** Threads of the concurrency test */
#define THREADS 4

/** Shared state of the concurrency test */
static struct {
	qcd_limiter_t *limiter;
	host_t *src;
	time_t end;
	int allowed[THREADS];
} race;

static void *race_thread(void *arg)
{
	intptr_t i = (intptr_t)arg;
	while (time_monotonic(NULL) < race.end)
	{
		race.allowed[i] += race.limiter->allow(race.limiter, race.src);
	}
	return NULL;
}

START_TEST(test_concurrent)
{
	thread_t *threads[THREADS];
	struct timespec start, stop;
	double elapsed;
	int i, total = 0;

	/* the defaults: 100/s with a burst of 200, 20/s and 100 per source */
	race.limiter = qcd_limiter_create(100, 200, 20, 100);
	race.src = host_create_from_string("192.0.2.1", 0);
	clock_gettime(CLOCK_MONOTONIC, &start);
	race.end = time_monotonic(NULL) + 2;
	for (i = 0; i < THREADS; i++)
	{
		race.allowed[i] = 0;
		threads[i] = thread_create((thread_main_t)race_thread,
								   (void*)(intptr_t)i);
	}
	for (i = 0; i < THREADS; i++)
	{
		threads[i]->join(threads[i]);
		total += race.allowed[i];
	}
	clock_gettime(CLOCK_MONOTONIC, &stop);
	elapsed = stop.tv_sec - start.tv_sec + (stop.tv_nsec - start.tv_nsec) / 1e9;
	/* R8.1-3, R8.1-4: never more than the source's burst plus its rate over
	 * the time the threads ran (+1 for rounding at the edges) */
	ck_assert_int_ge(total, 100);
	ck_assert_int_le(total, 100 + 20 * elapsed + 1);
	race.src->destroy(race.src);
	race.limiter->destroy(race.limiter);
}
END_TEST

/**
 * Unset what test_settings sets, so that later tests see the defaults
 */
static void reset_settings()
{
	char *keys[] = {
		"verify_rate", "verify_source_rate", "verify_source_burst"
	};
	int i;

	for (i = 0; i < countof(keys); i++)
	{
		lib->settings->set_str(lib->settings, "%s.plugins.qcd.%s", NULL,
							   lib->ns, keys[i]);
	}
}

START_TEST(test_settings)
{
	qcd_limiter_t *limiter;

	lib->settings->set_int(lib->settings, "%s.plugins.qcd.verify_rate", 0,
						   lib->ns);
	lib->settings->set_int(lib->settings, "%s.plugins.qcd.verify_source_rate",
						   1, lib->ns);
	lib->settings->set_int(lib->settings, "%s.plugins.qcd.verify_source_burst",
						   3, lib->ns);
	limiter = qcd_limiter_create_from_settings("verify");
	ck_assert_int_ge(allowed(limiter, "192.0.2.1", 50), 3);
	ck_assert_int_le(allowed(limiter, "192.0.2.1", 50), 1);
	limiter->destroy(limiter);

	/* a negative value is refused, the default (100) applies */
	lib->settings->set_int(lib->settings, "%s.plugins.qcd.verify_source_burst",
						   -5, lib->ns);
	limiter = qcd_limiter_create_from_settings("verify");
	ck_assert_int_ge(allowed(limiter, "192.0.2.1", 200), 100);
	limiter->destroy(limiter);

	/* defaults for what is not set: 20/s, burst 100 per source */
	limiter = qcd_limiter_create_from_settings("reply");
	ck_assert_int_ge(allowed(limiter, "192.0.2.1", 300), 100);
	ck_assert_int_le(allowed(limiter, "192.0.2.1", 300), 20);
	limiter->destroy(limiter);

	/* the teardown leaves the defaults for later tests */
	reset_settings();
	ck_assert_int_eq(lib->settings->get_int(lib->settings,
					"%s.plugins.qcd.verify_source_burst", 7, lib->ns), 7);
}
END_TEST

Suite *limiter_suite_create()
{
	Suite *s;
	TCase *tc;

	s = suite_create("limiter");
	tc = tcase_create("buckets");
	tcase_add_test(tc, test_source_burst);
	tcase_add_test(tc, test_global_burst);
	tcase_add_test(tc, test_unlimited);
	tcase_add_test(tc, test_refill);
	tcase_add_test(tc, test_refill_backwards);
	suite_add_tcase(s, tc);

	tc = tcase_create("concurrency");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_concurrent);
	suite_add_tcase(s, tc);

	tc = tcase_create("settings");
	tcase_add_checked_fixture(tc, NULL, reset_settings);
	tcase_add_test(tc, test_settings);
	suite_add_tcase(s, tc);
	return s;
}
