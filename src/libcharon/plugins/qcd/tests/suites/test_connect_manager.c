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

#include <qcd_connect_manager.h>
#include <qcd_store.h>

#ifdef ME

/** What reached the decorated connect_manager */
static connect_manager_t inner;
static int checks, destroyed;

METHOD(connect_manager_t, process_check, void,
	connect_manager_t *this, message_t *message)
{
	checks++;
}

METHOD(connect_manager_t, destroy, void,
	connect_manager_t *this)
{
	destroyed++;
}

static chunk_t token = chunk_from_chars(
	0x01,0x02,0x03,0x04,0x05,0x06,0x07,0x08,
	0x09,0x0a,0x0b,0x0c,0x0d,0x0e,0x0f,0x10);

/**
 * Hand an encoded unprotected INFORMATIONAL to the decorator, as
 * process_message_job does on ME builds
 */
static void check(connect_manager_t *manager, qcd_reply_t *reply)
{
	u_char buf[QCD_REPLY_MAX_LEN];
	message_t *message;
	host_t *src;

	src = host_create_from_string("192.0.2.1", 4500);
	message = message_create_from_packet(packet_create_from_data(src,
					src->clone(src), chunk_clone(chunk_create(buf,
					qcd_reply_encode(reply, buf)))));
	ck_assert(message->parse_header(message) == SUCCESS);
	manager->process_check(manager, message);
	message->destroy(message);
}

START_TEST(test_decorator)
{
	qcd_store_t *store = qcd_store_create(10);
	qcd_counters_t *counters = qcd_counters_create();
	qcd_verifier_t *verifier = qcd_verifier_create(store, counters);
	connect_manager_t *manager;
	ike_sa_id_t *sa;
	qcd_reply_t reply = {
		.spi_i = htobe64(0xaa), .spi_r = htobe64(0xbb), .mid = 4,
		.exchange = INFORMATIONAL, .response = TRUE,
	};
	u_int before;

	inner = (connect_manager_t){
		.process_check = _process_check,
		.destroy = _destroy,
	};
	checks = destroyed = 0;
	manager = qcd_connect_manager_create(&inner, verifier);
	sa = ike_sa_id_create(IKEV2_MAJOR_VERSION, reply.spi_i, reply.spi_r, TRUE);
	store->add(store, sa, 1);
	store->set_token(store, sa, token, TRUE);
	store->set_request(store, sa, 4, INFORMATIONAL);

	/* not a QCD reply (an ME connectivity check would be one of these):
	 * passed on to the original */
	check(manager, &reply);
	ck_assert_int_eq(checks, 1);
	/* a QCD reply is ours, verified or not, and not passed on */
	reply.count = 1;
	reply.tokens[0] = token;
	before = lib->processor->get_job_load(lib->processor, JOB_PRIO_HIGH);
	check(manager, &reply);
	ck_assert_int_eq(checks, 1);
	ck_assert_int_eq(lib->processor->get_job_load(lib->processor,
												  JOB_PRIO_HIGH), before + 1);
	reply.mid = 5;
	check(manager, &reply);
	ck_assert_int_eq(checks, 1);
	/* charon destroys the decorator, which destroys the original */
	manager->destroy(manager);
	ck_assert_int_eq(destroyed, 1);

	sa->destroy(sa);
	verifier->destroy(verifier);
	store->destroy(store);
	counters->destroy(counters);
}
END_TEST

#endif /* ME */

Suite *connect_manager_suite_create()
{
	Suite *s;
	TCase *tc;

	s = suite_create("connect_manager");
	tc = tcase_create("decorator");
#ifdef ME
	tcase_add_test(tc, test_decorator);
#endif
	suite_add_tcase(s, tc);
	return s;
}
