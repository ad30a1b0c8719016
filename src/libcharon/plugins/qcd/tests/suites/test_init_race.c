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

#include <qcd_init_race.h>
#include <qcd_limiter.h>

#include <daemon.h>

static qcd_init_race_t *race;

static void setup()
{
	qcd_tests_scheduler_start();
	race = qcd_init_race_create();
}

static void teardown()
{
	race->destroy(race);
	qcd_tests_scheduler_stop();
}

/**
 * Call the listener's alert hook as charon's bus does
 */
static void alert(alert_t alert, ...)
{
	va_list args;

	va_start(args, alert);
	race->listener.alert(&race->listener, NULL, alert, args);
	va_end(args);
}

/**
 * Raise ALERT_INVALID_IKE_SPI, as charon's IKE_SA manager does for a
 * message it found no IKE_SA for, with a header-only IKEv2 message;
 * returns the number of jobs scheduled
 */
static int unknown(uint64_t spi_i, exchange_type_t exchange, bool response)
{
	host_t *src = host_create_from_string("192.0.2.1", 500);
	host_t *dst = host_create_from_string("192.0.2.100", 500);
	u_char hdr[28] = {};
	message_t *message;
	int count;

	htoun64(hdr, spi_i);
	htoun64(hdr + 8, 0x2222);
	hdr[17] = 0x20;
	hdr[18] = exchange;
	hdr[19] = response ? 0x20 : 0x08;
	htoun32(hdr + 24, sizeof(hdr));
	message = message_create_from_packet(packet_create_from_data(src, dst,
									chunk_clone(chunk_from_thing(hdr))));
	ck_assert(message->parse_header(message) == SUCCESS);
	count = qcd_tests_scheduled()->get_count(qcd_tests_scheduled());
	alert(ALERT_INVALID_IKE_SPI, message);
	message->destroy(message);
	return qcd_tests_scheduled()->get_count(qcd_tests_scheduled()) - count;
}

START_TEST(test_tries)
{
	u_int delays[] = { 20, 100, 500 };
	int i;

	/* charon's reestablish() sent IKE_SA_INIT, the response beat the
	 * check-in: delivered again, later each time, at most three times,
	 * as each delivery that finds no IKE_SA raises the alert again */
	for (i = 0; i < QCD_INIT_RACE_TRIES; i++)
	{
		ck_assert_int_eq(unknown(0x1111, IKE_SA_INIT, TRUE), 1);
		ck_assert_int_eq(qcd_tests_scheduled_ms(), delays[i]);
	}
	ck_assert_int_eq(unknown(0x1111, IKE_SA_INIT, TRUE), 0);
	/* another SPI has its own tries */
	ck_assert_int_eq(unknown(0x3333, IKE_SA_INIT, TRUE), 1);
	ck_assert_int_eq(qcd_tests_scheduled_ms(), delays[0]);
}
END_TEST

START_TEST(test_others)
{
	/* requests create IKE_SAs, other responses have theirs checked in */
	ck_assert_int_eq(unknown(0x1111, IKE_SA_INIT, FALSE), 0);
	ck_assert_int_eq(unknown(0x1111, INFORMATIONAL, TRUE), 0);
	ck_assert_int_eq(unknown(0x1111, IKE_AUTH, TRUE), 0);
	ck_assert_int_eq(unknown(0x1111, CREATE_CHILD_SA, TRUE), 0);
	alert(ALERT_RETRANSMIT_SEND, NULL, 1);
	ck_assert_int_eq(qcd_tests_scheduled()->get_count(qcd_tests_scheduled()),
					 0);
}
END_TEST

START_TEST(test_limit)
{
	uint64_t start = qcd_bucket_now();
	int i, sent = 0;

	/* anybody can send such responses: a burst of QCD_INIT_RACE_RATE, then
	 * QCD_INIT_RACE_RATE per second get delivered again (the bucket
	 * refills while a slow run, under valgrind, sends) */
	for (i = 0; i < 2 * QCD_INIT_RACE_RATE; i++)
	{
		sent += unknown(0x10000 + i, IKE_SA_INIT, TRUE);
	}
	ck_assert_int_ge(sent, QCD_INIT_RACE_RATE);
	ck_assert_int_le(sent, QCD_INIT_RACE_RATE + 1 +
					 (qcd_bucket_now() - start) * QCD_INIT_RACE_RATE / 1000);
}
END_TEST

Suite *init_race_suite_create()
{
	Suite *s;
	TCase *tc;

	s = suite_create("init_race");
	tc = tcase_create("redeliver");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_tries);
	tcase_add_test(tc, test_others);
	tcase_add_test(tc, test_limit);
	suite_add_tcase(s, tc);
	return s;
}
