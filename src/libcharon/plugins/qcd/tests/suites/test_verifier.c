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

#include <qcd_responder.h>
#include <qcd_verifier.h>

#include <daemon.h>

static qcd_store_t *store;
static qcd_verifier_t *verifier;
static ike_sa_id_t *sa;

/** liveness checks (nudges) the last process() queued */
static u_int nudges;

static chunk_t token = chunk_from_chars(
	0x01,0x02,0x03,0x04,0x05,0x06,0x07,0x08,0x09,0x0a,0x0b,0x0c,0x0d,0x0e,0x0f,0x10);
static chunk_t other = chunk_from_chars(
	0xf1,0xf2,0xf3,0xf4,0xf5,0xf6,0xf7,0xf8,0xf9,0xfa,0xfb,0xfc,0xfd,0xfe,0xff,0xf0);

/**
 * Our IKE_SA, initiator, with the peer's token, INFORMATIONAL request 4 out
 */
static void setup()
{
	store = qcd_store_create(10);
	verifier = qcd_verifier_create(store);
	sa = ike_sa_id_create(IKEV2_MAJOR_VERSION, htobe64(0xaa), htobe64(0xbb),
						  TRUE);
	store->add(store, sa, 1);
	store->set_token(store, sa, token, TRUE);
	store->set_request(store, sa, 4, INFORMATIONAL);
}

static void teardown()
{
	verifier->destroy(verifier);
	store->destroy(store);
	sa->destroy(sa);
}

/**
 * Process an encoded reply as charon would hand it over, after
 * parse_header(); returns the result, *queued the number of jobs queued
 */
static bool process(qcd_reply_t *reply, size_t truncate, u_int *queued)
{
	u_char buf[QCD_REPLY_MAX_LEN];
	message_t *message;
	packet_t *packet;
	host_t *src;
	size_t len;
	u_int before;
	bool result;

	len = qcd_reply_encode(reply, buf);
	if (truncate)
	{	/* keep the length field, as a packet cut short on the way */
		len = truncate;
	}
	/* from anywhere (R3-10) */
	src = host_create_from_string("198.51.100.77", 4500);
	packet = packet_create_from_data(src, src->clone(src),
									 chunk_clone(chunk_create(buf, len)));
	message = message_create_from_packet(packet);
	if (message->parse_header(message) != SUCCESS)
	{
		message->destroy(message);
		*queued = 0;
		return FALSE;
	}
	before = lib->processor->get_job_load(lib->processor, JOB_PRIO_HIGH);
	nudges = lib->processor->get_job_load(lib->processor, JOB_PRIO_MEDIUM);
	result = verifier->process(verifier, message);
	*queued = lib->processor->get_job_load(lib->processor, JOB_PRIO_HIGH) -
			  before;
	nudges = lib->processor->get_job_load(lib->processor, JOB_PRIO_MEDIUM) -
			 nudges;
	message->destroy(message);
	return result;
}

/**
 * A reply for our SA
 */
static qcd_reply_t reply_for(uint32_t mid, exchange_type_t exchange)
{
	return (qcd_reply_t){
		.spi_i = htobe64(0xaa),
		.spi_r = htobe64(0xbb),
		.exchange = exchange,
		.mid = mid,
		.response = TRUE,
	};
}

START_TEST(test_verified)
{
	qcd_reply_t reply = reply_for(4, INFORMATIONAL);
	u_int queued;

	reply.count = 2;
	reply.tokens[0] = other;
	reply.tokens[1] = token;
	ck_assert(process(&reply, 0, &queued));
	/* the delete runs in a job, never in the hook */
	ck_assert_int_eq(queued, 1);
}
END_TEST

/**
 * Check that a reply with one token is consumed without queueing a delete
 */
static void assert_ignored(uint32_t mid, exchange_type_t exchange,
						   uint64_t spi_r, chunk_t tok)
{
	qcd_reply_t reply = reply_for(mid, exchange);
	u_int queued;

	reply.spi_r = htobe64(spi_r);
	reply.count = 1;
	reply.tokens[0] = tok;
	ck_assert(process(&reply, 0, &queued));
	ck_assert_int_eq(queued, 0);
}

START_TEST(test_rejected)
{
	/* wrong token: consumed, nothing queued, nothing sent (R4.5-8) */
	assert_ignored(4, INFORMATIONAL, 0xbb, other);
	/* right token, wrong message ID or exchange type: the reply answers
	 * no outstanding request, it deletes nothing but nudges (R3-7) */
	assert_ignored(5, INFORMATIONAL, 0xbb, token);
	ck_assert_int_eq(nudges, 1);
	assert_ignored(4, CREATE_CHILD_SA, 0xbb, token);
	ck_assert_int_eq(nudges, 0);
	/* unknown SA */
	assert_ignored(4, INFORMATIONAL, 0xcc, token);
}
END_TEST

START_TEST(test_nudge)
{
	qcd_reply_t reply = reply_for(QCD_PUSH_MID, INFORMATIONAL);
	u_int queued;

	/* a forged push with a wrong token does nothing */
	reply.count = 1;
	reply.tokens[0] = other;
	ck_assert(process(&reply, 0, &queued));
	ck_assert_int_eq(queued + nudges, 0);
	/* a push: no delete, a liveness check instead (R3-7) */
	reply.tokens[0] = token;
	ck_assert(process(&reply, 0, &queued));
	ck_assert_int_eq(queued, 0);
	ck_assert_int_eq(nudges, 1);
	/* replayed: at most once per QCD_NUDGE_INTERVAL */
	ck_assert(process(&reply, 0, &queued));
	ck_assert_int_eq(queued + nudges, 0);
	/* the reply to our outstanding request still deletes */
	reply = reply_for(4, INFORMATIONAL);
	reply.count = 1;
	reply.tokens[0] = token;
	ck_assert(process(&reply, 0, &queued));
	ck_assert_int_eq(queued, 1);
	ck_assert_int_eq(nudges, 0);
}
END_TEST

START_TEST(test_nudge_off)
{
	qcd_reply_t reply = reply_for(QCD_PUSH_MID, INFORMATIONAL);
	u_int queued;

	lib->settings->set_bool(lib->settings, "%s.plugins.qcd.nudge", FALSE,
							lib->ns);
	verifier->destroy(verifier);
	verifier = qcd_verifier_create(store);
	lib->settings->set_str(lib->settings, "%s.plugins.qcd.nudge", NULL,
						   lib->ns);
	reply.count = 1;
	reply.tokens[0] = token;
	ck_assert(process(&reply, 0, &queued));
	ck_assert_int_eq(queued + nudges, 0);
}
END_TEST

START_TEST(test_not_ours)
{
	qcd_reply_t reply = reply_for(4, INFORMATIONAL);
	u_int queued;

	/* INVALID_IKE_SPI alone is left to charon */
	ck_assert(!process(&reply, 0, &queued));
	ck_assert_int_eq(queued, 0);
	/* truncated: left to charon, no crash */
	reply.count = 1;
	reply.tokens[0] = token;
	ck_assert(!process(&reply, 28 + 8 + 10, &queued));
	ck_assert_int_eq(queued, 0);
	/* an IKE_SA_INIT response is none, even with a token */
	reply = reply_for(4, IKE_SA_INIT);
	reply.count = 1;
	reply.tokens[0] = token;
	ck_assert(!process(&reply, 0, &queued));
	ck_assert_int_eq(queued, 0);
	/* a request is no reply */
	reply.response = FALSE;
	ck_assert(!process(&reply, 0, &queued));
	ck_assert_int_eq(queued, 0);
}
END_TEST

Suite *verifier_suite_create()
{
	Suite *s;
	TCase *tc;

	s = suite_create("verifier");
	tc = tcase_create("process");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_verified);
	tcase_add_test(tc, test_rejected);
	tcase_add_test(tc, test_nudge);
	tcase_add_test(tc, test_nudge_off);
	tcase_add_test(tc, test_not_ours);
	suite_add_tcase(s, tc);
	return s;
}
