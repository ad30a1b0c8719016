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

#include <qcd_reply.h>

#include <encoding/message.h>
#include <encoding/payloads/notify_payload.h>

START_TEST(test_message_roundtrip)
{
	message_t *msg, *parsed;
	ike_sa_id_t *id;
	packet_t *packet;
	chunk_t token = chunk_from_chars(0x01,0x02,0x03,0x04,0x05,0x06,0x07,0x08,
									 0x09,0x0a,0x0b,0x0c,0x0d,0x0e,0x0f,0x10);
	qcd_reply_t reply;
	host_t *host;

	/* what a maker's reply to an INFORMATIONAL looks like with message_t */
	msg = message_create(IKEV2_MAJOR_VERSION, IKEV2_MINOR_VERSION);
	id = ike_sa_id_create(IKEV2_MAJOR_VERSION, htobe64(1), htobe64(2), FALSE);
	msg->set_ike_sa_id(msg, id);
	msg->set_exchange_type(msg, INFORMATIONAL);
	msg->set_request(msg, FALSE);
	msg->set_message_id(msg, 7);
	host = host_create_from_string("192.0.2.1", 4500);
	msg->set_source(msg, host->clone(host));
	msg->set_destination(msg, host);
	msg->add_notify(msg, FALSE, INVALID_IKE_SPI, chunk_empty);
	msg->add_notify(msg, FALSE, QUICK_CRASH_DETECTION, token);
	ck_assert_int_eq(msg->generate(msg, NULL, &packet), SUCCESS);

	/* charon parses it back */
	parsed = message_create_from_packet(packet->clone(packet));
	ck_assert_int_eq(parsed->parse_header(parsed), SUCCESS);
	ck_assert_int_eq(parsed->get_first_payload_type(parsed), PLV2_NOTIFY);
	/* but refuses the body: INFORMATIONAL must be encrypted, which is
	 * why the taker parses such replies itself */
	ck_assert(parsed->parse_body(parsed, NULL) != SUCCESS);

	/* our parser takes it */
	ck_assert(qcd_reply_parse(packet->get_data(packet), &reply));
	ck_assert_int_eq(reply.mid, 7);
	ck_assert(reply.invalid_ike_spi);
	ck_assert_int_eq(reply.count, 1);
	ck_assert(chunk_equals(reply.tokens[0], token));
	ck_assert(!reply.initiator);

	parsed->destroy(parsed);
	packet->destroy(packet);
	msg->destroy(msg);
	id->destroy(id);
}
END_TEST

START_TEST(test_encoder_vs_charon)
{
	u_char buf[QCD_REPLY_MAX_LEN], tokens[2][QCD_TOKEN_LEN];
	qcd_reply_t reply = {
		.spi_i = htobe64(0x1111),
		.spi_r = htobe64(0x2222),
		.exchange = CREATE_CHILD_SA,
		.mid = 3,
		.initiator = TRUE,
		.response = TRUE,
		.count = 2,
		.tokens = {
			chunk_from_thing(tokens[0]),
			chunk_from_thing(tokens[1]),
		},
	};
	message_t *msg;
	packet_t *packet;
	ike_sa_id_t *id;
	host_t *host;
	size_t len;

	memset(tokens, 0x42, sizeof(tokens));
	len = qcd_reply_encode(&reply, buf);
	host = host_create_from_string("192.0.2.1", 4500);
	packet = packet_create_from_data(host->clone(host), host,
									 chunk_clone(chunk_create(buf, len)));
	/* charon's own header parser agrees on every field */
	msg = message_create_from_packet(packet);
	ck_assert_int_eq(msg->parse_header(msg), SUCCESS);
	ck_assert_int_eq(msg->get_major_version(msg), 2);
	ck_assert_int_eq(msg->get_exchange_type(msg), CREATE_CHILD_SA);
	ck_assert(!msg->get_request(msg));
	ck_assert_int_eq(msg->get_message_id(msg), 3);
	ck_assert_int_eq(msg->get_first_payload_type(msg), PLV2_NOTIFY);
	id = msg->get_ike_sa_id(msg);
	ck_assert(id->get_initiator_spi(id) == htobe64(0x1111));
	ck_assert(id->get_responder_spi(id) == htobe64(0x2222));
	/* the ID mirrors the I flag, the sender's role */
	ck_assert(id->is_initiator(id));
	msg->destroy(msg);
}
END_TEST

Suite *message_suite_create()
{
	Suite *s;
	TCase *tc;

	s = suite_create("message");
	tc = tcase_create("charon");
	tcase_add_test(tc, test_message_roundtrip);
	tcase_add_test(tc, test_encoder_vs_charon);
	suite_add_tcase(s, tc);
	return s;
}
