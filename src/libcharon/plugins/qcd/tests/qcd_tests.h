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

#include <check.h>
#include <library.h>

#include <qcd_token.h>

Suite *secret_suite_create();
Suite *token_suite_create();
Suite *reply_suite_create();
Suite *limiter_suite_create();
Suite *store_suite_create();
Suite *journal_suite_create();
Suite *message_suite_create();
Suite *verifier_suite_create();
Suite *stress_suite_create();
Suite *responder_suite_create();
Suite *connect_manager_suite_create();
Suite *plugin_suite_create();
Suite *listener_suite_create();
Suite *status_suite_create();
Suite *init_race_suite_create();

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
