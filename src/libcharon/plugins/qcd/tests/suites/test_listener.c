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

#include <qcd_listener.h>
#include <qcd_verifier.h>

#include <daemon.h>
#include <encoding/payloads/auth_payload.h>
#include <encoding/payloads/eap_payload.h>
#include <encoding/payloads/id_payload.h>
#include <encoding/payloads/sa_payload.h>

static qcd_store_t *store;
static qcd_counters_t *counters;
static qcd_token_t *token;
static qcd_verifier_t *verifier;
static qcd_listener_t *listener;
static ike_sa_t *ike_sa;

static chunk_t peer_token = chunk_from_chars(
	0x01,0x02,0x03,0x04,0x05,0x06,0x07,0x08,
	0x09,0x0a,0x0b,0x0c,0x0d,0x0e,0x0f,0x10);

static void setup()
{
	ike_sa_id_t *id;

	token = qcd_tests_token();
	store = qcd_store_create(10);
	/* both roles; the responder is not needed by these hooks */
	counters = qcd_counters_create();
	verifier = qcd_verifier_create(store, counters);
	listener = qcd_listener_create(store, token, NULL, verifier, NULL,
								   counters);
	id = ike_sa_id_create(IKEV2_MAJOR_VERSION, htobe64(0x1111),
						  htobe64(0x2222), TRUE);
	ike_sa = ike_sa_create(id, TRUE, IKEV2);
	id->destroy(id);
	ck_assert(ike_sa != NULL);
	store->add(store, ike_sa->get_id(ike_sa), ike_sa->get_unique_id(ike_sa));
}

static void teardown()
{
	ike_sa->destroy(ike_sa);
	listener->destroy(listener);
	verifier->destroy(verifier);
	store->destroy(store);
	counters->destroy(counters);
	token->destroy(token);
	qcd_tests_cleanup();
}

/**
 * A message of our IKE_SA with the given payloads (NULL-terminated);
 * request is an int, not a bool, since va_start() needs a type that
 * undergoes no promotion
 */
static message_t *message(exchange_type_t exchange, int request, ...)
{
	message_t *msg;
	payload_t *payload;
	va_list args;

	msg = message_create(IKEV2_MAJOR_VERSION, IKEV2_MINOR_VERSION);
	msg->set_exchange_type(msg, exchange);
	msg->set_request(msg, request);
	msg->set_ike_sa_id(msg, ike_sa->get_id(ike_sa));
	va_start(args, request);
	while ((payload = va_arg(args, payload_t*)))
	{
		msg->add_payload(msg, payload);
	}
	va_end(args);
	return msg;
}

/**
 * Pass an outgoing message through the hook, TRUE if it got our token for
 * the SA's SPIs
 */
static bool sent_token(message_t *msg)
{
	u_char expected[QCD_TOKEN_LEN];
	notify_payload_t *notify;
	bool found;

	ck_assert(listener->listener.message(&listener->listener, ike_sa, msg,
										 FALSE, TRUE));
	notify = msg->get_notify(msg, QUICK_CRASH_DETECTION);
	found = notify != NULL;
	if (found)
	{
		ck_assert(token->compute(token, 0, ike_sa->get_id(ike_sa), NULL,
								 expected));
		ck_assert(chunk_equals(notify->get_notification_data(notify),
							   chunk_from_thing(expected)));
		/* protocol ID 0, erratum 3449; no SPI (R4.1-2) */
		ck_assert_int_eq(notify->get_protocol_id(notify), 0);
		ck_assert_int_eq(notify->get_spi_data(notify).len, 0);
	}
	msg->destroy(msg);
	return found;
}

START_TEST(test_maker)
{
	identification_t *me = identification_create_from_string("carol");

	/* the initiator's first IKE_AUTH request, with IDi (R3-1) */
	ck_assert(sent_token(message(IKE_AUTH, TRUE,
				id_payload_create_from_identification(PLV2_ID_INITIATOR, me),
				NULL)));
	/* later IKE_AUTH requests (EAP rounds) carry none */
	ck_assert(!sent_token(message(IKE_AUTH, TRUE,
				eap_payload_create_code(EAP_RESPONSE, 1), NULL)));
	/* the responder's final IKE_AUTH response with AUTH (R4.2-1), not one
	 * that goes on with EAP */
	ck_assert(sent_token(message(IKE_AUTH, FALSE, auth_payload_create(),
								 NULL)));
	ck_assert(!sent_token(message(IKE_AUTH, FALSE, auth_payload_create(),
				eap_payload_create_code(EAP_REQUEST, 1), NULL)));
	/* nothing in IKE_SA_INIT, in DPDs and rekeys that owe nothing */
	ck_assert(!sent_token(message(IKE_SA_INIT, TRUE, NULL)));
	ck_assert(!sent_token(message(INFORMATIONAL, TRUE, NULL)));
	ck_assert(!sent_token(message(CREATE_CHILD_SA, FALSE, NULL)));
	/* after an address change with the address method, once (R4.4-1) */
	store->owe(store, ike_sa->get_id(ike_sa));
	ck_assert(sent_token(message(INFORMATIONAL, TRUE, NULL)));
	ck_assert(!sent_token(message(INFORMATIONAL, TRUE, NULL)));
	me->destroy(me);
}
END_TEST

/**
 * Pass an incoming message with a token through the hook
 */
static void receive(exchange_type_t exchange, bool request, chunk_t data)
{
	message_t *msg = message(exchange, request, NULL);

	msg->add_notify(msg, FALSE, QUICK_CRASH_DETECTION, data);
	ck_assert(listener->listener.message(&listener->listener, ike_sa, msg,
										 TRUE, TRUE));
	msg->destroy(msg);
}

/**
 * Number of usable tokens in the store
 */
static u_int tokens()
{
	u_int count;

	store->get_count(store, &count);
	return count;
}

START_TEST(test_taker)
{
	u_char long_token[QCD_TOKEN_MAX + 1] = {};

	/* in IKE_AUTH, before the peer is authenticated: kept aside */
	receive(IKE_AUTH, FALSE, peer_token);
	ck_assert_int_eq(tokens(), 0);
	/* usable once the IKE_SA is established */
	ck_assert(listener->listener.ike_state_change(&listener->listener,
												  ike_sa, IKE_ESTABLISHED));
	ck_assert_int_eq(tokens(), 1);
	/* IKE_SA_INIT is unprotected: never (R3-3) */
	store->remove(store, ike_sa->get_unique_id(ike_sa));
	store->add(store, ike_sa->get_id(ike_sa), ike_sa->get_unique_id(ike_sa));
	ike_sa->set_state(ike_sa, IKE_ESTABLISHED);
	receive(IKE_SA_INIT, FALSE, peer_token);
	ck_assert_int_eq(tokens(), 0);
	/* tokens of a wrong length are ignored */
	receive(INFORMATIONAL, TRUE, chunk_create(long_token, QCD_TOKEN_MAX + 1));
	receive(INFORMATIONAL, TRUE, chunk_create(long_token, QCD_TOKEN_MIN - 1));
	ck_assert_int_eq(tokens(), 0);
	/* on an established IKE_SA, e.g. after a rekey (R4.3-3) */
	receive(INFORMATIONAL, TRUE, peer_token);
	ck_assert_int_eq(tokens(), 1);
	/* gone with the IKE_SA (R5.3-1) */
	ck_assert(listener->listener.ike_state_change(&listener->listener,
												  ike_sa, IKE_DESTROYING));
	ck_assert_int_eq(store->get_count(store, NULL), 0);
}
END_TEST

/**
 * Pass an incoming CREATE_CHILD_SA response with a token and an SA payload
 * for the given protocol through the hook
 */
static void receive_sa(protocol_id_t protocol, chunk_t data)
{
	proposal_t *proposal = proposal_create_default(protocol);
	message_t *msg;

	msg = message(CREATE_CHILD_SA, FALSE,
				  sa_payload_create_from_proposal_v2(proposal), NULL);
	proposal->destroy(proposal);
	msg->add_notify(msg, FALSE, QUICK_CRASH_DETECTION, data);
	ck_assert(listener->listener.message(&listener->listener, ike_sa, msg,
										 TRUE, TRUE));
	msg->destroy(msg);
}

/**
 * Whether a reply to our request 3 with this token verifies
 */
static bool verifies(chunk_t data)
{
	qcd_reply_t reply = {
		.spi_i = htobe64(0x1111),
		.spi_r = htobe64(0x2222),
		.exchange = INFORMATIONAL,
		.mid = 3,
		.count = 1,
		.tokens = { data },
	};
	ike_sa_id_t *id = NULL;
	bool ok;

	store->set_request(store, ike_sa->get_id(ike_sa), 3, INFORMATIONAL);
	ok = store->match(store, &reply, &id) == QCD_MATCH_OK;
	DESTROY_IF(id);
	return ok;
}

START_TEST(test_taker_create_child_sa)
{
	chunk_t other = chunk_from_chars(0xf1,0xf2,0xf3,0xf4,0xf5,0xf6,0xf7,0xf8,
									 0xf9,0xfa,0xfb,0xfc,0xfd,0xfe,0xff,0xf0);

	ike_sa->set_state(ike_sa, IKE_ESTABLISHED);
	/* in the response of a CHILD_SA's CREATE_CHILD_SA: for this IKE_SA's
	 * SPIs, applied at once (R4.4-2, issue 17 item 3) */
	receive_sa(PROTO_ESP, peer_token);
	ck_assert_int_eq(tokens(), 1);
	ck_assert(verifies(peer_token));
	/* in an IKE rekey response: for the new SA only; the rekey fails and
	 * the IKE_SA is established again, it keeps its own token */
	ike_sa->set_state(ike_sa, IKE_REKEYING);
	receive_sa(PROTO_IKE, other);
	ck_assert(listener->listener.ike_state_change(&listener->listener,
												  ike_sa, IKE_ESTABLISHED));
	ck_assert_int_eq(tokens(), 1);
	ck_assert(verifies(peer_token));
	ck_assert(!verifies(other));
}
END_TEST

/**
 * The level-1 line of an IKE_SA that IKE_AUTH established, "" if none
 */
static bool logged_established(char *what)
{
	char line[128];

	snprintf(line, sizeof(line), "qcd: IKE_SA (unnamed)[%u] with %%any: %s",
			 ike_sa->get_unique_id(ike_sa), what);
	return qcd_tests_logged(line, FALSE) == 1 &&
		   qcd_tests_logged("qcd: IKE_SA", TRUE) == 1;
}

START_TEST(test_established_initiator)
{
	identification_t *me = identification_create_from_string("carol");

	ike_sa->set_state(ike_sa, IKE_CONNECTING);
	qcd_tests_log_start();
	/* our token in the first IKE_AUTH request, the peer's in the response */
	ck_assert(sent_token(message(IKE_AUTH, TRUE,
				id_payload_create_from_identification(PLV2_ID_INITIATOR, me),
				NULL)));
	receive(IKE_AUTH, FALSE, peer_token);
	ck_assert_int_eq(qcd_tests_logged("qcd: IKE_SA", TRUE), 0);
	/* charon raises the state change before it sets the state */
	ck_assert(listener->listener.ike_state_change(&listener->listener,
												  ike_sa, IKE_ESTABLISHED));
	ck_assert(logged_established("gave our token, stored the peer's"));
	ck_assert(counters->get(counters, QCD_TOKENS_SENT) == 1);
	ck_assert(counters->get(counters, QCD_TOKENS_STORED) == 1);
	/* once: not again when established from another state, e.g. after a
	 * failed rekey (not from CONNECTING to ESTABLISHED here, which needs a
	 * config) */
	ike_sa->set_state(ike_sa, IKE_REKEYING);
	ck_assert(listener->listener.ike_state_change(&listener->listener,
												  ike_sa, IKE_ESTABLISHED));
	ck_assert_int_eq(qcd_tests_logged("qcd: IKE_SA", TRUE), 0);
	qcd_tests_log_stop();
	me->destroy(me);
}
END_TEST

START_TEST(test_passive)
{
	ike_sa_id_t *id = ike_sa_id_create(IKEV2_MAJOR_VERSION, htobe64(0x3333),
									   htobe64(0x4444), FALSE);
	ike_sa_t *synced = ike_sa_create(id, FALSE, IKEV2);
	qcd_journal_status_t status;
	qcd_listener_t *ha;
	qcd_journal_t *journal;

	synced->set_my_host(synced, host_create_from_string("192.0.2.1", 4500));
	synced->set_other_host(synced, host_create_from_string("192.0.2.100",
														   4500));
	journal = qcd_journal_create(qcd_tests_path("qcd.journal"), 0);
	ha = qcd_listener_create(store, token, NULL, verifier, journal, counters);
	/* the HA plugin installs an IKE_SA synced from the partner as PASSIVE,
	 * without ike_keys: known from then on, so no token for it (R9.2-1) */
	ck_assert(!store->contains(store, htobe64(0x3333), htobe64(0x4444)));
	ck_assert(ha->listener.ike_state_change(&ha->listener, synced,
											IKE_PASSIVE));
	ck_assert(store->contains(store, htobe64(0x3333), htobe64(0x4444)));
	/* taken over: ours, journaled; handed back: not ours to push */
	ck_assert(ha->listener.ike_state_change(&ha->listener, synced,
											IKE_ESTABLISHED));
	journal->get_status(journal, &status);
	ck_assert_int_eq(status.entries, 1);
	ck_assert(ha->listener.ike_state_change(&ha->listener, synced,
											IKE_PASSIVE));
	journal->get_status(journal, &status);
	ck_assert_int_eq(status.entries, 0);
	ck_assert(store->contains(store, htobe64(0x3333), htobe64(0x4444)));
	ha->destroy(ha);
	journal->destroy(journal);
	synced->destroy(synced);
	id->destroy(id);
}
END_TEST

START_TEST(test_established_responder)
{
	ike_sa_t *initiator = ike_sa;
	ike_sa_id_t *id;

	id = ike_sa_id_create(IKEV2_MAJOR_VERSION, htobe64(0x3333),
						  htobe64(0x4444), FALSE);
	ike_sa = ike_sa_create(id, FALSE, IKEV2);
	id->destroy(id);
	store->add(store, ike_sa->get_id(ike_sa), ike_sa->get_unique_id(ike_sa));
	qcd_tests_log_start();
	/* a peer without QCD: no token in its IKE_AUTH request; as responder
	 * nothing logged at the state change */
	ck_assert(listener->listener.ike_state_change(&listener->listener,
												  ike_sa, IKE_ESTABLISHED));
	ck_assert_int_eq(qcd_tests_logged("qcd: IKE_SA", TRUE), 0);
	ike_sa->set_state(ike_sa, IKE_ESTABLISHED);
	/* logged with the response that gives our token */
	ck_assert(sent_token(message(IKE_AUTH, FALSE, auth_payload_create(),
								 NULL)));
	ck_assert(logged_established("gave our token, the peer sent none"));
	/* a later message says nothing */
	ck_assert(!sent_token(message(INFORMATIONAL, FALSE, NULL)));
	ck_assert_int_eq(qcd_tests_logged("qcd: IKE_SA", TRUE), 0);
	qcd_tests_log_stop();
	ike_sa->destroy(ike_sa);
	ike_sa = initiator;
}
END_TEST

START_TEST(test_established_no_secret)
{
	identification_t *me = identification_create_from_string("carol");

	ck_assert(token->set_secret(token, NULL));
	ike_sa->set_state(ike_sa, IKE_CONNECTING);
	qcd_tests_log_start();
	ck_assert(!sent_token(message(IKE_AUTH, TRUE,
				id_payload_create_from_identification(PLV2_ID_INITIATOR, me),
				NULL)));
	receive(IKE_AUTH, FALSE, peer_token);
	ck_assert(listener->listener.ike_state_change(&listener->listener,
												  ike_sa, IKE_ESTABLISHED));
	ck_assert(logged_established("gave no token (no secret), stored the "
								 "peer's"));
	qcd_tests_log_stop();
	me->destroy(me);
}
END_TEST

START_TEST(test_established_full)
{
	qcd_listener_t *listener10 = listener;
	qcd_store_t *store10 = store;

	/* no room for any token */
	store = qcd_store_create(0);
	listener = qcd_listener_create(store, token, NULL, verifier, NULL,
								   counters);
	store->add(store, ike_sa->get_id(ike_sa), ike_sa->get_unique_id(ike_sa));
	ike_sa->set_state(ike_sa, IKE_CONNECTING);
	qcd_tests_log_start();
	receive(IKE_AUTH, FALSE, peer_token);
	ck_assert(listener->listener.ike_state_change(&listener->listener,
												  ike_sa, IKE_ESTABLISHED));
	ck_assert(logged_established("gave no token, the peer's not stored "
								 "(max_tokens reached)"));
	ck_assert(counters->get(counters, QCD_TOKENS_NOT_STORED) == 1);
	/* once: a later state change counts nothing more */
	ike_sa->set_state(ike_sa, IKE_REKEYING);
	ck_assert(listener->listener.ike_state_change(&listener->listener,
												  ike_sa, IKE_ESTABLISHED));
	ck_assert(counters->get(counters, QCD_TOKENS_NOT_STORED) == 1);
	qcd_tests_log_stop();
	listener->destroy(listener);
	store->destroy(store);
	listener = listener10;
	store = store10;
}
END_TEST

Suite *listener_suite_create()
{
	Suite *s;
	TCase *tc;

	s = suite_create("listener");
	tc = tcase_create("message");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_maker);
	tcase_add_test(tc, test_taker);
	tcase_add_test(tc, test_taker_create_child_sa);
	suite_add_tcase(s, tc);
	tc = tcase_create("log");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_established_initiator);
	tcase_add_test(tc, test_established_responder);
	tcase_add_test(tc, test_passive);
	tcase_add_test(tc, test_established_no_secret);
	tcase_add_test(tc, test_established_full);
	suite_add_tcase(s, tc);
	return s;
}
