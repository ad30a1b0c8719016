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

#include <qcd_token.h>

#include <encoding/payloads/ike_header.h>

/**
 * Load the secret 00..1f (1 generation) into a token generator
 */
static qcd_token_t *create(qcd_method_t method)
{
	u_char buf[8 + QCD_SECRET_LEN] = "QCDS\x01\x01";
	qcd_secret_t *secret;
	qcd_token_t *token;
	int i;

	for (i = 0; i < QCD_SECRET_LEN; i++)
	{
		buf[8 + i] = i;
	}
	qcd_tests_write(qcd_tests_path("secret"), chunk_from_thing(buf), 0600);
	secret = qcd_secret_load(qcd_tests_path("secret"), FALSE);
	ck_assert(secret != NULL);
	token = qcd_token_create(method);
	ck_assert_int_eq(token->get_count(token), 0);
	ck_assert(token->set_secret(token, secret));
	ck_assert_int_eq(token->get_count(token), 1);
	secret->destroy(secret);
	return token;
}

/**
 * SPIs 0102030405060708_i 1112131415161718_r, in network order
 */
static ike_sa_id_t *create_id(bool initiator)
{
	return ike_sa_id_create(IKEV2_MAJOR_VERSION,
							htobe64(0x0102030405060708ULL),
							htobe64(0x1112131415161718ULL), initiator);
}

/**
 * Vectors from Python: hmac.new(bytes(range(32)), spi_i + spi_r [+ addr],
 * hashlib.sha256)
 */
static struct {
	qcd_method_t method;
	char *addr;
	char *token;
} vectors[] = {
	{ QCD_METHOD_SPI, "192.0.2.1",
	  "07215b998b9a990c5cc6a160e9180b487dc80d13a7e464ed0d1298cfbf652467" },
	{ QCD_METHOD_ADDRESS, "192.0.2.1",
	  "496871db236a813ea829f52a52976c748e6663e161e6792a86ba21b64be8711b" },
};

START_TEST(test_vectors)
{
	qcd_token_t *token = create(vectors[_i].method);
	ike_sa_id_t *id;
	host_t *host;
	u_char out[QCD_TOKEN_LEN];
	chunk_t expected;

	host = host_create_from_string(vectors[_i].addr, 500);
	expected = chunk_from_hex(chunk_from_str(vectors[_i].token), NULL);
	/* the token does not depend on our role (R1.1-1) */
	id = create_id(TRUE);
	ck_assert(token->compute(token, 0, id, host, out));
	ck_assert(chunk_equals(expected, chunk_from_thing(out)));
	id->switch_initiator(id);
	ck_assert(token->compute(token, 0, id, host, out));
	ck_assert(chunk_equals(expected, chunk_from_thing(out)));
	/* no such generation */
	ck_assert(!token->compute(token, 1, id, host, out));

	id->destroy(id);
	host->destroy(host);
	chunk_free(&expected);
	token->destroy(token);
}
END_TEST

START_TEST(test_distinct)
{
	qcd_token_t *token = create(QCD_METHOD_ADDRESS);
	u_char a[QCD_TOKEN_LEN], b[QCD_TOKEN_LEN], c[QCD_TOKEN_LEN];
	ike_sa_id_t *id = create_id(TRUE), *other;
	host_t *h1, *h2;

	h1 = host_create_from_string("192.0.2.1", 500);
	h2 = host_create_from_string("2001:db8::1", 500);
	other = ike_sa_id_create(IKEV2_MAJOR_VERSION, id->get_initiator_spi(id),
							 id->get_responder_spi(id) ^ 1, TRUE);
	ck_assert(token->compute(token, 0, id, h1, a));
	ck_assert(token->compute(token, 0, id, h2, b));
	ck_assert(token->compute(token, 0, other, h1, c));
	/* R5-6: different input, different token */
	ck_assert(!memeq(a, b, QCD_TOKEN_LEN));
	ck_assert(!memeq(a, c, QCD_TOKEN_LEN));
	/* no address, no token for the address method */
	ck_assert(!token->compute(token, 0, id, NULL, a));
	/* maker off */
	ck_assert(token->set_secret(token, NULL));
	ck_assert_int_eq(token->get_count(token), 0);
	ck_assert(!token->compute(token, 0, id, h1, a));

	id->destroy(id);
	other->destroy(other);
	h1->destroy(h1);
	h2->destroy(h2);
	token->destroy(token);
}
END_TEST

Suite *token_suite_create()
{
	Suite *s;
	TCase *tc;

	s = suite_create("token");
	tc = tcase_create("hmac");
	tcase_add_checked_fixture(tc, qcd_tests_tmpdir, qcd_tests_cleanup);
	tcase_add_loop_test(tc, test_vectors, 0, countof(vectors));
	tcase_add_test(tc, test_distinct);
	suite_add_tcase(s, tc);
	return s;
}
