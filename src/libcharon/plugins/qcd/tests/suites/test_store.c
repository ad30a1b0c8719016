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

/**
 * An IKEv2 SA ID
 */
static ike_sa_id_t *id(uint64_t i, uint64_t r, bool initiator)
{
	return ike_sa_id_create(IKEV2_MAJOR_VERSION, htobe64(i), htobe64(r),
							initiator);
}

/**
 * A reply for the given SPIs with the given tokens
 */
static qcd_reply_t reply(uint64_t i, uint64_t r, uint32_t mid,
						 exchange_type_t exchange, int count, ...)
{
	qcd_reply_t reply = {
		.spi_i = htobe64(i),
		.spi_r = htobe64(r),
		.mid = mid,
		.exchange = exchange,
		.response = TRUE,
		.count = count,
	};
	va_list args;
	int n;

	va_start(args, count);
	for (n = 0; n < count; n++)
	{
		reply.tokens[n] = va_arg(args, chunk_t);
	}
	va_end(args);
	return reply;
}

static chunk_t tok_a = chunk_from_chars(
	0xa1,0xa2,0xa3,0xa4,0xa5,0xa6,0xa7,0xa8,
	0xa9,0xaa,0xab,0xac,0xad,0xae,0xaf,0xa0);
static chunk_t tok_b = chunk_from_chars(
	0xb1,0xb2,0xb3,0xb4,0xb5,0xb6,0xb7,0xb8,
	0xb9,0xba,0xbb,0xbc,0xbd,0xbe,0xbf,0xb0);

START_TEST(test_contains)
{
	qcd_store_t *store = qcd_store_create(10);
	ike_sa_id_t *a = id(1, 2, TRUE);

	ck_assert(!store->contains(store, htobe64(1), htobe64(2)));
	store->add(store, a, 1);
	store->add(store, a, 1);
	ck_assert_int_eq(store->get_count(store, NULL), 1);
	/* by SPIs, whatever the role or I flag (R9.2-1) */
	ck_assert(store->contains(store, htobe64(1), htobe64(2)));
	ck_assert(!store->contains(store, htobe64(2), htobe64(1)));
	store->remove(store, 1);
	ck_assert(!store->contains(store, htobe64(1), htobe64(2)));
	ck_assert_int_eq(store->get_count(store, NULL), 0);
	a->destroy(a);
	store->destroy(store);
}
END_TEST

START_TEST(test_match)
{
	qcd_store_t *store = qcd_store_create(10);
	ike_sa_id_t *a = id(1, 2, TRUE), *out = NULL;
	qcd_reply_t r;

	r = reply(1, 2, 5, INFORMATIONAL, 1, tok_a);
	ck_assert_int_eq(store->match(store, &r, &out), QCD_MATCH_NO_SA);
	store->add(store, a, 1);
	ck_assert_int_eq(store->match(store, &r, &out), QCD_MATCH_NO_TOKEN);
	store->set_request(store, a, 5, CREATE_CHILD_SA);
	ck_assert_int_eq(store->match(store, &r, &out), QCD_MATCH_NO_TOKEN);
	ck_assert(store->set_token(store, a, tok_b, TRUE));
	ck_assert_int_eq(store->match(store, &r, &out), QCD_MATCH_MISMATCH);
	/* a new token replaces the old one (R4.4-2) */
	ck_assert(store->set_token(store, a, tok_a, TRUE));
	r = reply(1, 2, 5, INFORMATIONAL, 1, tok_b);
	ck_assert_int_eq(store->match(store, &r, &out), QCD_MATCH_MISMATCH);
	/* other message ID, other exchange type: no outstanding request, so
	 * a nudge at most, once per QCD_NUDGE_INTERVAL (R9.1-6) */
	r = reply(1, 2, 4, INFORMATIONAL, 1, tok_a);
	ck_assert_int_eq(store->match(store, &r, &out), QCD_MATCH_NUDGE);
	ck_assert(out && out->equals(out, a));
	out->destroy(out);
	out = NULL;
	r = reply(1, 2, 5, IKE_AUTH, 1, tok_a);
	ck_assert_int_eq(store->match(store, &r, &out), QCD_MATCH_NUDGED);
	r = reply(1, 2, QCD_PUSH_MID, INFORMATIONAL, 1, tok_a);
	ck_assert_int_eq(store->match(store, &r, &out), QCD_MATCH_NUDGED);
	ck_assert(out == NULL);
	/* the request's exchange type or INFORMATIONAL; any token (R4.5-5) */
	r = reply(1, 2, 5, CREATE_CHILD_SA, 5, tok_b, tok_b, tok_b, tok_b, tok_a);
	ck_assert_int_eq(store->match(store, &r, &out), QCD_MATCH_OK);
	ck_assert(out && out->equals(out, a));
	out->destroy(out);
	out = NULL;
	r = reply(1, 2, 5, INFORMATIONAL, 2, tok_a, tok_b);
	ck_assert_int_eq(store->match(store, &r, &out), QCD_MATCH_OK);
	out->destroy(out);
	/* a prefix of the token is not the token */
	r = reply(1, 2, 5, INFORMATIONAL, 1, chunk_create(tok_a.ptr, 15));
	out = NULL;
	ck_assert_int_eq(store->match(store, &r, &out), QCD_MATCH_MISMATCH);
	a->destroy(a);
	store->destroy(store);
}
END_TEST

START_TEST(test_answered)
{
	qcd_store_t *store = qcd_store_create(10);
	ike_sa_id_t *a = id(1, 2, TRUE), *out = NULL;
	qcd_reply_t r = reply(1, 2, 7, INFORMATIONAL, 1, tok_a);
	uint32_t mid = 0;

	store->add(store, a, 1);
	ck_assert(!store->outstanding(store, a, &mid));
	ck_assert(store->set_token(store, a, tok_a, TRUE));
	store->set_request(store, a, 7, INFORMATIONAL);
	ck_assert(store->outstanding(store, a, &mid));
	ck_assert_int_eq(mid, 7);
	/* a response to another request changes nothing */
	store->answered(store, a, 6);
	ck_assert(store->outstanding(store, a, &mid));
	ck_assert_int_eq(store->match(store, &r, &out), QCD_MATCH_OK);
	out->destroy(out);
	out = NULL;
	/* once answered, a reply to it, say a replay, is a nudge at most */
	store->answered(store, a, 7);
	ck_assert(!store->outstanding(store, a, &mid));
	ck_assert_int_eq(store->match(store, &r, &out), QCD_MATCH_NUDGE);
	out->destroy(out);
	a->destroy(a);
	store->destroy(store);
}
END_TEST

START_TEST(test_rekey_responder)
{
	qcd_store_t *store = qcd_store_create(10);
	ike_sa_id_t *old = id(1, 2, TRUE), *new = id(3, 4, FALSE), *out = NULL;
	uint64_t spi_i, spi_r;
	qcd_reply_t r;
	u_int tokens;

	store->add(store, old, 1);
	ck_assert(store->set_token(store, old, tok_a, TRUE));
	/* rekey we responded to: we owe our token in the response, and only
	 * there once it is in it */
	store->rekey(store, old, new, 2, FALSE, TRUE);
	ck_assert(!store->take_owed(store, old, FALSE, &spi_i, &spi_r));
	ck_assert(store->take_owed(store, old, TRUE, &spi_i, &spi_r));
	ck_assert(spi_i == htobe64(3) && spi_r == htobe64(4));
	ck_assert(!store->take_owed(store, old, TRUE, &spi_i, &spi_r));
	ck_assert(!store->take_owed(store, new, FALSE, &spi_i, &spi_r));
	/* in a collision charon may tell of the rekey after our response went
	 * out without it: then our first request on the new SA has it */
	store->rekey(store, old, new, 2, FALSE, TRUE);
	ck_assert(store->take_owed(store, new, FALSE, &spi_i, &spi_r));
	ck_assert(spi_i == htobe64(3) && spi_r == htobe64(4));
	ck_assert(store->take_owed(store, old, TRUE, &spi_i, &spi_r));

	/* the old SA's token, made for its SPIs, stays with it and is not the
	 * new SA's (R4.3-1, R5.3-1) */
	ck_assert_int_eq(store->get_count(store, &tokens), 2);
	ck_assert_int_eq(tokens, 1);
	store->set_request(store, new, 0, INFORMATIONAL);
	r = reply(3, 4, 0, INFORMATIONAL, 1, tok_a);
	ck_assert_int_eq(store->match(store, &r, &out), QCD_MATCH_NO_TOKEN);
	/* the peer's INFORMATIONAL on the new SA brings its token (R4.3-3) */
	ck_assert(store->set_token(store, new, tok_b, TRUE));
	r = reply(3, 4, 0, INFORMATIONAL, 1, tok_b);
	ck_assert_int_eq(store->match(store, &r, &out), QCD_MATCH_OK);
	out->destroy(out);

	store->remove(store, 1);
	store->remove(store, 2);
	ck_assert_int_eq(store->get_count(store, &tokens), 0);
	ck_assert_int_eq(tokens, 0);
	old->destroy(old);
	new->destroy(new);
	store->destroy(store);
}
END_TEST

START_TEST(test_rekey_initiator)
{
	qcd_store_t *store = qcd_store_create(10);
	ike_sa_id_t *old = id(1, 2, TRUE), *new = id(3, 4, TRUE), *out = NULL;
	uint64_t spi_i, spi_r;
	qcd_reply_t r;
	u_int tokens;

	store->add(store, old, 1);
	ck_assert(store->set_token(store, old, tok_a, TRUE));
	/* the rekey response carries the token for the new SPIs (R4.3-2); it
	 * arrives on the old SA, whose own token stays valid */
	ck_assert(store->set_token(store, old, tok_b, QCD_TOKEN_FOR_REKEY));
	store->set_request(store, old, 7, INFORMATIONAL);
	r = reply(1, 2, 7, INFORMATIONAL, 1, tok_b);
	ck_assert_int_eq(store->match(store, &r, &out), QCD_MATCH_MISMATCH);
	r = reply(1, 2, 7, INFORMATIONAL, 1, tok_a);
	ck_assert_int_eq(store->match(store, &r, &out), QCD_MATCH_OK);
	out->destroy(out);

	/* we initiated, and as a maker owe our token in the first request */
	store->rekey(store, old, new, 2, TRUE, TRUE);
	ck_assert(store->take_owed(store, new, FALSE, &spi_i, &spi_r));
	ck_assert(spi_i == htobe64(3) && spi_r == htobe64(4));
	ck_assert(!store->take_owed(store, new, FALSE, &spi_i, &spi_r));
	ck_assert(!store->take_owed(store, old, TRUE, &spi_i, &spi_r));

	store->set_request(store, new, 0, INFORMATIONAL);
	r = reply(3, 4, 0, INFORMATIONAL, 1, tok_b);
	ck_assert_int_eq(store->match(store, &r, &out), QCD_MATCH_OK);
	out->destroy(out);
	r = reply(3, 4, 0, INFORMATIONAL, 1, tok_a);
	ck_assert_int_eq(store->match(store, &r, &out), QCD_MATCH_MISMATCH);
	ck_assert_int_eq(store->get_count(store, &tokens), 2);
	ck_assert_int_eq(tokens, 2);

	store->remove(store, 1);
	store->remove(store, 2);
	ck_assert_int_eq(store->get_count(store, &tokens), 0);
	ck_assert_int_eq(tokens, 0);
	old->destroy(old);
	new->destroy(new);
	store->destroy(store);
}
END_TEST

START_TEST(test_rekey_failed)
{
	qcd_store_t *store = qcd_store_create(10);
	ike_sa_id_t *old = id(1, 2, TRUE), *new = id(3, 4, TRUE), *out = NULL;
	qcd_reply_t r;

	store->add(store, old, 1);
	ck_assert(store->set_token(store, old, tok_a, QCD_TOKEN_USABLE));
	/* the rekey response carries the token for the new SPIs, but the
	 * rekey fails and the old SA is established again: its token stays,
	 * the new SPIs' token is not taken for it (issue 17 item 3) */
	ck_assert(store->set_token(store, old, tok_b, QCD_TOKEN_FOR_REKEY));
	ck_assert(!store->confirm(store, old));
	store->set_request(store, old, 7, INFORMATIONAL);
	r = reply(1, 2, 7, INFORMATIONAL, 1, tok_a);
	ck_assert_int_eq(store->match(store, &r, &out), QCD_MATCH_OK);
	out->destroy(out);
	r = reply(1, 2, 7, INFORMATIONAL, 1, tok_b);
	ck_assert_int_eq(store->match(store, &r, &out), QCD_MATCH_MISMATCH);
	/* nor by a later rekey whose response had none */
	store->rekey(store, old, new, 2, TRUE, FALSE);
	store->set_request(store, new, 0, INFORMATIONAL);
	r = reply(3, 4, 0, INFORMATIONAL, 1, tok_b);
	ck_assert_int_eq(store->match(store, &r, &out), QCD_MATCH_NO_TOKEN);
	/* a token for the SA's own SPIs in any protected message, say a
	 * CHILD_SA's CREATE_CHILD_SA response, applies at once (R4.4-2) */
	ck_assert(store->set_token(store, new, tok_a, QCD_TOKEN_USABLE));
	r = reply(3, 4, 0, INFORMATIONAL, 1, tok_a);
	ck_assert_int_eq(store->match(store, &r, &out), QCD_MATCH_OK);
	out->destroy(out);
	old->destroy(old);
	new->destroy(new);
	store->destroy(store);
}
END_TEST

START_TEST(test_reset)
{
	qcd_store_t *store = qcd_store_create(10);
	ike_sa_id_t *first = id(1, 2, TRUE), *second = id(5, 0, TRUE);
	ike_sa_id_t *third = id(6, 7, TRUE);
	u_int tokens;

	/* charon resets an IKE_SA whose IKE_AUTH timed out (keyingtries):
	 * a new SPIi, SPIr 0, then keys again with the new SPIs, under the
	 * same unique ID; the entry of the old SPIs must not stay behind */
	store->add(store, first, 42);
	ck_assert(store->set_token(store, first, tok_a, FALSE));
	store->add(store, third, 42);
	ck_assert_int_eq(store->get_count(store, &tokens), 1);
	ck_assert(!store->contains(store, htobe64(1), htobe64(2)));
	ck_assert(store->contains(store, htobe64(6), htobe64(7)));
	/* removal by unique ID, whatever SPIs the SA has now */
	store->remove(store, 42);
	ck_assert_int_eq(store->get_count(store, &tokens), 0);
	ck_assert_int_eq(tokens, 0);
	/* other SAs are not touched */
	store->add(store, first, 1);
	store->add(store, third, 2);
	store->remove(store, 3);
	ck_assert_int_eq(store->get_count(store, NULL), 2);
	store->remove(store, 1);
	store->remove(store, 2);
	first->destroy(first);
	second->destroy(second);
	third->destroy(third);
	store->destroy(store);
}
END_TEST

START_TEST(test_pending)
{
	qcd_store_t *store = qcd_store_create(1);
	ike_sa_id_t *a = id(1, 2, FALSE), *b = id(3, 4, FALSE), *out = NULL;
	qcd_reply_t r;
	u_int tokens;

	store->add(store, a, 1);
	store->add(store, b, 2);
	store->set_request(store, a, 3, INFORMATIONAL);
	/* tokens from unauthenticated peers neither count nor verify */
	ck_assert(store->set_token(store, a, tok_a, FALSE));
	ck_assert(store->set_token(store, b, tok_a, FALSE));
	store->get_count(store, &tokens);
	ck_assert_int_eq(tokens, 0);
	r = reply(1, 2, 3, INFORMATIONAL, 1, tok_a);
	ck_assert_int_eq(store->match(store, &r, &out), QCD_MATCH_NO_TOKEN);
	/* once authenticated they do, within max_tokens */
	ck_assert(store->confirm(store, a));
	ck_assert(!store->confirm(store, a));
	ck_assert(!store->confirm(store, b));
	store->get_count(store, &tokens);
	ck_assert_int_eq(tokens, 1);
	ck_assert_int_eq(store->match(store, &r, &out), QCD_MATCH_OK);
	out->destroy(out);
	store->remove(store, 1);
	store->remove(store, 2);
	a->destroy(a);
	b->destroy(b);
	store->destroy(store);
}
END_TEST

START_TEST(test_owe)
{
	qcd_store_t *store = qcd_store_create(10);
	ike_sa_id_t *a = id(1, 2, FALSE), *unknown = id(7, 8, TRUE);
	uint64_t spi_i, spi_r;

	store->add(store, a, 1);
	ck_assert(!store->take_owed(store, a, FALSE, &spi_i, &spi_r));
	/* after an address change, once, in a request (R4.4-1) */
	store->owe(store, a);
	store->owe(store, unknown);
	ck_assert(!store->take_owed(store, a, TRUE, &spi_i, &spi_r));
	ck_assert(store->take_owed(store, a, FALSE, &spi_i, &spi_r));
	ck_assert(spi_i == htobe64(1) && spi_r == htobe64(2));
	ck_assert(!store->take_owed(store, a, FALSE, &spi_i, &spi_r));
	ck_assert(!store->take_owed(store, unknown, FALSE, &spi_i, &spi_r));
	ck_assert_int_eq(store->get_count(store, NULL), 1);
	a->destroy(a);
	unknown->destroy(unknown);
	store->destroy(store);
}
END_TEST

START_TEST(test_bound)
{
	qcd_store_t *store = qcd_store_create(2);
	ike_sa_id_t *ids[3];
	u_int tokens;
	int i;

	for (i = 0; i < 3; i++)
	{
		ids[i] = id(10 + i, 20 + i, TRUE);
		store->add(store, ids[i], i + 1);
	}
	ck_assert(store->set_token(store, ids[0], tok_a, TRUE));
	ck_assert(store->set_token(store, ids[1], tok_a, TRUE));
	ck_assert(!store->set_token(store, ids[2], tok_a, TRUE));
	/* replacing does not count twice */
	ck_assert(store->set_token(store, ids[1], tok_b, TRUE));
	ck_assert_int_eq(store->get_count(store, &tokens), 3);
	ck_assert_int_eq(tokens, 2);
	/* removal frees room */
	store->remove(store, 1);
	ck_assert(store->set_token(store, ids[2], tok_a, TRUE));
	/* unknown SA */
	ck_assert(!store->set_token(store, ids[0], tok_a, TRUE));
	for (i = 0; i < 3; i++)
	{
		ids[i]->destroy(ids[i]);
	}
	store->destroy(store);
}
END_TEST

Suite *store_suite_create()
{
	Suite *s;
	TCase *tc;

	s = suite_create("store");
	tc = tcase_create("entries");
	tcase_add_test(tc, test_contains);
	tcase_add_test(tc, test_match);
	tcase_add_test(tc, test_answered);
	tcase_add_test(tc, test_rekey_responder);
	tcase_add_test(tc, test_rekey_initiator);
	tcase_add_test(tc, test_rekey_failed);
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_pending);
	tcase_add_test(tc, test_owe);
	tcase_add_test(tc, test_bound);
	suite_add_tcase(s, tc);
	return s;
}
