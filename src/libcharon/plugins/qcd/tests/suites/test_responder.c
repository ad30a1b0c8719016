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
#include <qcd_store.h>
#include <qcd_token.h>

#include <daemon.h>
#include <collections/linked_list.h>

#include <unistd.h>

/** Peer that we have a config for, and one we don't */
#define PEER "192.0.2.100"
#define STRANGER "198.51.100.9"

static qcd_store_t *store;
static qcd_counters_t *counters;
static qcd_token_t *token;
static qcd_responder_t *responder;

/** What the responder sent, instead of charon's sender */
static sender_t sender;
static linked_list_t *sent;
static sender_t *charon_sender;

/** Our config backend with one peer config */
static backend_t backend;
static peer_cfg_t *peer_cfg;

METHOD(sender_t, send_, void, sender_t *this, packet_t *packet)
{
	sent->insert_last(sent, packet);
}

METHOD(backend_t, create_peer_cfg_enumerator, enumerator_t*,
	backend_t *this, identification_t *me, identification_t *other)
{
	return enumerator_create_single(peer_cfg, NULL);
}

METHOD(backend_t, create_ike_cfg_enumerator, enumerator_t*,
	backend_t *this, host_t *me, host_t *other)
{
	return enumerator_create_empty();
}

/**
 * Set one of the responder's settings
 */
static void set(char *key, char *value)
{
	lib->settings->set_str(lib->settings, "%s.plugins.qcd.%s", value,
						   lib->ns, key);
}

static void setup()
{
	ike_cfg_t *ike_cfg;

	token = qcd_tests_token();
	store = qcd_store_create(10);
	counters = qcd_counters_create();

	sent = linked_list_create();
	sender = (sender_t){ .send = _send_ };
	charon_sender = charon->sender;
	charon->sender = &sender;

	ike_cfg = ike_cfg_create(&(ike_cfg_create_t){
		.version = IKEV2, .local = "192.0.2.1", .remote = PEER,
		.remote_port = IKEV2_UDP_PORT,
	});
	peer_cfg = peer_cfg_create("rw", ike_cfg, &(peer_cfg_create_t){});
	backend = (backend_t){
		.create_peer_cfg_enumerator = _create_peer_cfg_enumerator,
		.create_ike_cfg_enumerator = _create_ike_cfg_enumerator,
	};
	charon->backends->add_backend(charon->backends, &backend);
}

static void teardown()
{
	char *keys[] = { "reply_source_rate", "reply_source_burst",
					 "reply_over_limit", "reply_window" };
	int i;

	DESTROY_IF(responder);
	responder = NULL;
	charon->backends->remove_backend(charon->backends, &backend);
	peer_cfg->destroy(peer_cfg);
	charon->sender = charon_sender;
	sent->destroy_offset(sent, offsetof(packet_t, destroy));
	store->destroy(store);
	counters->destroy(counters);
	token->destroy(token);
	for (i = 0; i < countof(keys); i++)
	{
		set(keys[i], NULL);
	}
	qcd_tests_cleanup();
}

/**
 * Hand a request to the responder as charon's ALERT_INVALID_IKE_SPI does,
 * header parsed; returns the number of packets sent
 */
static int request(char *from, uint64_t spi_r, uint8_t exchange,
				   uint8_t flags, uint8_t first)
{
	u_char buf[IKE_HEADER_LENGTH + 36] = {};
	message_t *message;
	host_t *src, *dst;
	int before = sent->get_count(sent);

	htoun64(buf, 0x1111);
	htoun64(buf + 8, spi_r);
	buf[16] = first;
	buf[17] = 0x20;
	buf[18] = exchange;
	buf[19] = flags;
	htoun32(buf + 20, 7);
	htoun32(buf + 24, sizeof(buf));
	buf[28] = PL_NONE;
	htoun16(buf + 30, sizeof(buf) - IKE_HEADER_LENGTH);
	src = host_create_from_string(from, 4500);
	dst = host_create_from_string("192.0.2.1", 4500);
	message = message_create_from_packet(packet_create_from_data(src, dst,
										chunk_clone(chunk_from_thing(buf))));
	ck_assert(message->parse_header(message) == SUCCESS);
	responder->handle(responder, message);
	message->destroy(message);
	return sent->get_count(sent) - before;
}

/**
 * Parse the last packet sent
 */
static qcd_reply_t last_reply()
{
	packet_t *packet;
	qcd_reply_t reply;

	ck_assert(sent->get_last(sent, (void**)&packet) == SUCCESS);
	ck_assert(qcd_reply_parse(packet->get_data(packet), &reply) ||
			  reply.invalid_ike_spi);
	return reply;
}

START_TEST(test_reply)
{
	u_char expected[QCD_TOKEN_LEN];
	ike_sa_id_t *id;
	packet_t *packet;
	qcd_reply_t reply;
	host_t *dst;

	responder = qcd_responder_create(token, store, counters);
	/* a protected INFORMATIONAL request from the initiator (R4.5-1) */
	ck_assert_int_eq(request(PEER, 0x2222, INFORMATIONAL, 0x08,
							 PLV2_ENCRYPTED), 1);
	reply = last_reply();
	ck_assert(reply.invalid_ike_spi);
	ck_assert_int_eq(reply.count, 1);
	ck_assert(reply.response && !reply.initiator);
	ck_assert_int_eq(reply.mid, 7);
	ck_assert_int_eq(reply.exchange, INFORMATIONAL);
	ck_assert(reply.spi_i == htobe64(0x1111) && reply.spi_r == htobe64(0x2222));
	id = ike_sa_id_create(IKEV2_MAJOR_VERSION, htobe64(0x1111),
						  htobe64(0x2222), FALSE);
	ck_assert(token->compute(token, 0, id, NULL, expected));
	ck_assert(chunk_equals(reply.tokens[0], chunk_from_thing(expected)));
	id->destroy(id);
	/* back to where the request came from */
	sent->get_last(sent, (void**)&packet);
	dst = packet->get_destination(packet);
	ck_assert(dst->get_port(dst) == 4500);

	/* the exchange type is copied; the I flag flipped for a request from
	 * the original responder; fragments are protected too */
	ck_assert_int_eq(request(PEER, 0x2222, CREATE_CHILD_SA, 0x00,
							 PLV2_FRAGMENT), 1);
	reply = last_reply();
	ck_assert_int_eq(reply.exchange, CREATE_CHILD_SA);
	ck_assert(reply.initiator);
}
END_TEST

START_TEST(test_no_reply)
{
	ike_sa_id_t *live;

	responder = qcd_responder_create(token, store, counters);
	/* unprotected requests, responses, IKE_SA_INIT, no SPIr (R3-5) */
	ck_assert_int_eq(request(PEER, 0x2222, INFORMATIONAL, 0x08,
							 PLV2_NOTIFY), 0);
	ck_assert_int_eq(request(PEER, 0x2222, INFORMATIONAL, 0x28,
							 PLV2_ENCRYPTED), 0);
	ck_assert_int_eq(request(PEER, 0x2222, IKE_SA_INIT, 0x08,
							 PLV2_ENCRYPTED), 0);
	ck_assert_int_eq(request(PEER, 0, INFORMATIONAL, 0x08, PLV2_ENCRYPTED), 0);
	/* a peer we have no config for */
	ck_assert_int_eq(request(STRANGER, 0x2222, INFORMATIONAL, 0x08,
							 PLV2_ENCRYPTED), 0);
	/* never a token for an IKE_SA that exists, in either role (R9.2-1) */
	live = ike_sa_id_create(IKEV2_MAJOR_VERSION, htobe64(0x1111),
							htobe64(0x2222), TRUE);
	store->add(store, live, 1);
	ck_assert_int_eq(request(PEER, 0x2222, INFORMATIONAL, 0x08,
							 PLV2_ENCRYPTED), 0);
	ck_assert_int_eq(request(PEER, 0x2222, INFORMATIONAL, 0x00,
							 PLV2_ENCRYPTED), 0);
	live->destroy(live);
}
END_TEST

START_TEST(test_counted)
{
	ike_sa_id_t *live;
	int i;

	set("reply_source_rate", "1");
	set("reply_source_burst", "3");
	responder = qcd_responder_create(token, store, counters);
	qcd_tests_log_start();
	/* the first reply after a start is logged at once, at level 1 */
	ck_assert_int_eq(request(PEER, 0x2222, INFORMATIONAL, 0x08,
							 PLV2_ENCRYPTED), 1);
	ck_assert_int_eq(qcd_tests_logged("qcd: requests for unknown IKE_SAs in "
					 "the last 1s: 1 answered with tokens, 0 with "
					 "INVALID_IKE_SPI only, 0 dropped", TRUE), 1);
	/* the rest is summed up later, not line by line */
	for (i = 0; i < 5; i++)
	{
		request(PEER, 0x2222, INFORMATIONAL, 0x08, PLV2_ENCRYPTED);
	}
	request(STRANGER, 0x2222, INFORMATIONAL, 0x08, PLV2_ENCRYPTED);
	live = ike_sa_id_create(IKEV2_MAJOR_VERSION, htobe64(0x1111),
							htobe64(0x3333), TRUE);
	store->add(store, live, 1);
	request(PEER, 0x3333, INFORMATIONAL, 0x08, PLV2_ENCRYPTED);
	live->destroy(live);
	ck_assert_int_eq(qcd_tests_logged("qcd: requests for unknown", TRUE), 0);
	qcd_tests_log_stop();
	/* counted since the start, whatever was logged */
	ck_assert(counters->get(counters, QCD_REPLIES_SENT) >= 3);
	ck_assert(counters->get(counters, QCD_REPLIES_SENT) <= 4);
	ck_assert(counters->get(counters, QCD_REPLIES_SENT) +
			  counters->get(counters, QCD_REPLIES_DROPPED) == 6);
	ck_assert(counters->get(counters, QCD_REQUESTS_UNCONFIGURED) == 1);
	ck_assert(counters->get(counters, QCD_REQUESTS_LIVE) == 1);
	ck_assert(counters->get(counters, QCD_REPLIES_NOTIFY) == 0);
	ck_assert(counters->get(counters, QCD_PUSHES_SENT) == 0);
}
END_TEST

START_TEST(test_limits)
{
	int i, tokens = 0, notifies = 0;
	qcd_reply_t reply;

	/* a rate of 1/s refills at most a token while the test runs */
	set("reply_source_rate", "1");
	set("reply_source_burst", "3");
	set("reply_over_limit", _i ? "notify" : "drop");
	responder = qcd_responder_create(token, store, counters);
	for (i = 0; i < 20; i++)
	{
		if (request(PEER, 0x2222, INFORMATIONAL, 0x08, PLV2_ENCRYPTED))
		{
			reply = last_reply();
			reply.count ? tokens++ : notifies++;
		}
	}
	/* R8.1-4; past the limits INVALID_IKE_SPI alone, within the same
	 * limits again, never to every forged source */
	ck_assert_int_ge(tokens, 3);
	ck_assert_int_le(tokens, 4);
	if (_i)
	{
		ck_assert_int_ge(notifies, 3);
		ck_assert_int_le(notifies, 4);
	}
	else
	{
		ck_assert_int_eq(notifies, 0);
	}
}
END_TEST

START_TEST(test_window)
{
	time_t deadline;

	set("reply_window", "1s");
	responder = qcd_responder_create(token, store, counters);
	ck_assert_int_eq(request(PEER, 0x2222, INFORMATIONAL, 0x08,
							 PLV2_ENCRYPTED), 1);
	/* replies stop once the window has passed, within a few seconds */
	deadline = time_monotonic(NULL) + 5;
	while (request(PEER, 0x2222, INFORMATIONAL, 0x08, PLV2_ENCRYPTED))
	{
		ck_assert(time_monotonic(NULL) < deadline);
		usleep(100000);
	}
}
END_TEST

/**
 * A journaled IKE_SA with the given peer
 */
static qcd_journal_entry_t entry(char *peer, bool initiator)
{
	return (qcd_journal_entry_t){
		.spi_i = htobe64(0x1111),
		.spi_r = htobe64(0x2222),
		.initiator = initiator,
		.local = host_create_from_string("192.0.2.1", 4500),
		.remote = host_create_from_string(peer, 4500),
	};
}

/**
 * A host's address as string
 */
static char *peer_str(host_t *host)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "%H", host);
	return buf;
}

/**
 * Push an entry, returns the number of packets sent, *done the result
 */
static int push(char *peer, bool initiator, bool *done)
{
	qcd_journal_entry_t e = entry(peer, initiator);
	int before = sent->get_count(sent);

	*done = responder->push(responder, &e);
	e.local->destroy(e.local);
	e.remote->destroy(e.remote);
	return sent->get_count(sent) - before;
}

START_TEST(test_push)
{
	u_char expected[QCD_TOKEN_LEN];
	ike_sa_id_t *id;
	packet_t *packet;
	qcd_reply_t reply;
	host_t *src, *dst;
	bool done;

	responder = qcd_responder_create(token, store, counters);
	/* an INFORMATIONAL response to no request, from our role */
	ck_assert_int_eq(push(PEER, FALSE, &done), 1);
	ck_assert(done);
	reply = last_reply();
	ck_assert(reply.invalid_ike_spi && reply.response && !reply.initiator);
	ck_assert_int_eq(reply.mid, QCD_PUSH_MID);
	ck_assert_int_eq(reply.exchange, INFORMATIONAL);
	ck_assert(reply.spi_i == htobe64(0x1111) && reply.spi_r == htobe64(0x2222));
	id = ike_sa_id_create(IKEV2_MAJOR_VERSION, htobe64(0x1111),
						  htobe64(0x2222), TRUE);
	ck_assert(token->compute(token, 0, id, NULL, expected));
	ck_assert_int_eq(reply.count, 1);
	ck_assert(chunk_equals(reply.tokens[0], chunk_from_thing(expected)));
	id->destroy(id);
	sent->get_last(sent, (void**)&packet);
	src = packet->get_source(packet);
	dst = packet->get_destination(packet);
	ck_assert(src->get_port(src) == 4500 && dst->get_port(dst) == 4500);
	ck_assert_str_eq(peer_str(dst), PEER);

	ck_assert_int_eq(push(PEER, TRUE, &done), 1);
	reply = last_reply();
	ck_assert(reply.initiator);
	/* no config for the peer yet: try again later */
	ck_assert_int_eq(push(STRANGER, FALSE, &done), 0);
	ck_assert(!done);
}
END_TEST

START_TEST(test_push_live)
{
	ike_sa_id_t *live;
	bool done;

	/* never a token for an IKE_SA that exists (R9.2-1) */
	responder = qcd_responder_create(token, store, counters);
	live = ike_sa_id_create(IKEV2_MAJOR_VERSION, htobe64(0x1111),
							htobe64(0x2222), FALSE);
	store->add(store, live, 1);
	ck_assert_int_eq(push(PEER, FALSE, &done), 0);
	ck_assert(done);
	live->destroy(live);
}
END_TEST

START_TEST(test_push_limits)
{
	int i, replies = 0;
	bool done;

	set("reply_source_rate", "1");
	set("reply_source_burst", "1");
	responder = qcd_responder_create(token, store, counters);
	ck_assert_int_eq(push(PEER, FALSE, &done), 1);
	/* a request from elsewhere neither gets nor uses up the exemption */
	ck_assert_int_eq(request(STRANGER, 0x2222, INFORMATIONAL, 0x08,
							 PLV2_ENCRYPTED), 0);
	/* the pushed peer's request is answered outside the limits, once:
	 * plus the burst of 1 (and at most one refill) */
	for (i = 0; i < 10; i++)
	{
		replies += request(PEER, 0x2222, INFORMATIONAL, 0x08, PLV2_ENCRYPTED);
	}
	ck_assert_int_ge(replies, 2);
	ck_assert_int_le(replies, 3);
}
END_TEST

START_TEST(test_push_expire)
{
	linked_list_t *jobs;
	job_requeue_t requeue;
	job_t *job;
	bool done;

	qcd_tests_scheduler_start();
	jobs = qcd_tests_scheduled();
	responder = qcd_responder_create(token, store, counters);
	/* a job expires pushes of peers that never ask, one for all */
	ck_assert_int_eq(push(PEER, FALSE, &done), 1);
	ck_assert_int_eq(push(PEER, TRUE, &done), 1);
	ck_assert_int_eq(jobs->get_count(jobs), 1);
	ck_assert_int_eq(qcd_tests_scheduled_ms(), (QCD_PUSH_EXPECT + 1) * 1000);
	/* not expired yet: it runs again */
	jobs->remove_first(jobs, (void**)&job);
	requeue = job->execute(job);
	ck_assert_int_eq(requeue.type, JOB_REQUEUE_TYPE_SCHEDULE);
	job->destroy(job);
	/* a request uses up the exemption */
	ck_assert_int_eq(request(PEER, 0x2222, INFORMATIONAL, 0x08,
							 PLV2_ENCRYPTED), 1);
	responder->destroy(responder);
	responder = NULL;
	qcd_tests_scheduler_stop();
}
END_TEST

Suite *responder_suite_create()
{
	Suite *s;
	TCase *tc;

	s = suite_create("responder");
	tc = tcase_create("handle");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_reply);
	tcase_add_test(tc, test_no_reply);
	tcase_add_test(tc, test_counted);
	tcase_add_loop_test(tc, test_limits, 0, 2);
	tcase_add_test(tc, test_window);
	tcase_add_test(tc, test_push);
	tcase_add_test(tc, test_push_live);
	tcase_add_test(tc, test_push_limits);
	tcase_add_test(tc, test_push_expire);
	suite_add_tcase(s, tc);
	return s;
}
