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
 * @defgroup qcd_tests qcd_tests
 * @{ @ingroup qcd
 */

#ifndef QCD_TESTS_H_
#define QCD_TESTS_H_

#ifdef QCD_TESTS_CHECK
/* built out of strongSwan's tree, with Check */
#include <check.h>
#else
#include <test_suite.h>
#endif
#include <library.h>

#include <qcd_token.h>

/* Check's assertions that test_suite.h does not map */
#ifndef ck_assert_int_ge
#define ck_assert_int_ge(a, b) ck_assert((a) >= (b))
#endif
#ifndef ck_assert_int_gt
#define ck_assert_int_gt(a, b) ck_assert((a) > (b))
#endif
#ifndef ck_assert_int_le
#define ck_assert_int_le(a, b) ck_assert((a) <= (b))
#endif

/* the suites, in qcd_suites.h */
#define TEST_SUITE(x) Suite *x();
#include "qcd_suites.h"
#undef TEST_SUITE

/**
 * Write a file with the given mode, for secret file tests
 */
void qcd_tests_write(char *path, chunk_t data, mode_t mode);

/**
 * Path of a file in the test's temporary directory
 */
char *qcd_tests_path(char *name);

/**
 * Create a temporary directory with a new secret file in it, and a token
 * generator with that secret, for fixtures; qcd_tests_cleanup() removes it
 */
qcd_token_t *qcd_tests_token();

/**
 * Capture what charon logs, from now until qcd_tests_log_stop()
 */
void qcd_tests_log_start();
void qcd_tests_log_stop();

/**
 * How many times the captured log contains str; clear: forget the
 * captured lines afterwards
 */
int qcd_tests_logged(char *str, bool clear);

/**
 * Replace lib->scheduler by one that keeps the jobs scheduled instead of
 * running them, until qcd_tests_scheduler_stop(), which destroys those
 * left and puts charon's back
 */
void qcd_tests_scheduler_start();
void qcd_tests_scheduler_stop();

/**
 * The jobs kept, job_t*, in the order they were scheduled
 */
linked_list_t *qcd_tests_scheduled();

/**
 * Delay of the last job kept, in ms
 */
uint32_t qcd_tests_scheduled_ms();

/**
 * Create a temporary directory for a test, removed by qcd_tests_cleanup()
 */
void qcd_tests_tmpdir();
void qcd_tests_cleanup();

#endif /** QCD_TESTS_H_ @}*/
