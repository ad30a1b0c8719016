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

/*
 * Several threads at once on the shared parts, as charon's workers use
 * them.  Meant to be run under ThreadSanitizer (scripts/sanitizers.sh),
 * which reports any data race; the assertions check the counts that a
 * race would break.
 */

#include "../qcd_tests.h"

#include <qcd_limiter.h>
#include <qcd_secret.h>
#include <qcd_store.h>
#include <qcd_token.h>

#include <threading/thread.h>

/** Threads of each kind */
#define THREADS 3

/** Rounds each thread runs */
#define ROUNDS 2000

static qcd_store_t *store;
static qcd_token_t *token;
static qcd_limiter_t *limiter;
static char *secret_path;

static chunk_t tok = chunk_from_chars(
	0x01,0x02,0x03,0x04,0x05,0x06,0x07,0x08,
	0x09,0x0a,0x0b,0x0c,0x0d,0x0e,0x0f,0x10);

/**
 * Store: SAs come, get tokens, are matched, rekeyed and go, each thread
 * with its own SPIs and unique IDs, all in one table
 */
static void *store_thread(void *arg)
{
	intptr_t t = (intptr_t)arg;
	ike_sa_id_t *id, *new, *out;
	qcd_reply_t reply;
	u_int uid;
	int i;

	for (i = 0; i < ROUNDS; i++)
	{
		uid = t * ROUNDS * 2 + i * 2 + 1;
		id = ike_sa_id_create(IKEV2_MAJOR_VERSION, htobe64(uid), htobe64(t + 1),
							  TRUE);
		new = ike_sa_id_create(IKEV2_MAJOR_VERSION, htobe64(uid + 1),
							   htobe64(t + 1), TRUE);
		store->add(store, id, uid);
		store->set_token(store, id, tok, FALSE);
		store->confirm(store, id);
		store->set_request(store, id, i, INFORMATIONAL);
		reply = (qcd_reply_t){
			.spi_i = htobe64(uid), .spi_r = htobe64(t + 1), .mid = i,
			.exchange = INFORMATIONAL, .response = TRUE, .count = 1,
			.tokens = { tok },
		};
		out = NULL;
		ck_assert_int_eq(store->match(store, &reply, &out), QCD_MATCH_OK);
		out->destroy(out);
		store->rekey(store, id, new, uid + 1, FALSE, FALSE);
		store->remove(store, uid);
		store->remove(store, uid + 1);
		id->destroy(id);
		new->destroy(new);
	}
	return NULL;
}

/**
 * Token: compute while another thread reloads the secret
 */
static void *token_thread(void *arg)
{
	u_char out[QCD_TOKEN_LEN];
	ike_sa_id_t *id;
	int i;

	id = ike_sa_id_create(IKEV2_MAJOR_VERSION, htobe64(1), htobe64(2), TRUE);
	for (i = 0; i < ROUNDS; i++)
	{
		token->compute(token, 0, id, NULL, out);
	}
	id->destroy(id);
	return NULL;
}

/**
 * Reload: what the plugin does on 'swanctl --reload-settings'
 */
static void *reload_thread(void *arg)
{
	qcd_secret_t *secret;
	int i;

	for (i = 0; i < ROUNDS / 20; i++)
	{
		secret = qcd_secret_load(secret_path, FALSE);
		ck_assert(secret != NULL);
		ck_assert(token->set_secret(token, secret));
		secret->destroy(secret);
	}
	return NULL;
}

/**
 * Limiter: every thread from the same source
 */
static void *limiter_thread(void *arg)
{
	host_t *src = host_create_from_string("192.0.2.1", 0);
	int i;

	for (i = 0; i < ROUNDS; i++)
	{
		limiter->allow(limiter, src);
	}
	src->destroy(src);
	return NULL;
}

START_TEST(test_all_at_once)
{
	thread_main_t kinds[] = {
		(thread_main_t)store_thread, (thread_main_t)token_thread,
		(thread_main_t)reload_thread, (thread_main_t)limiter_thread,
	};
	thread_t *threads[countof(kinds) * THREADS];
	qcd_secret_t *secret;
	u_int tokens;
	int i;

	secret_path = qcd_tests_path("qcd.secret");
	secret = qcd_secret_load(secret_path, TRUE);
	ck_assert(secret != NULL);
	store = qcd_store_create(1000);
	token = qcd_token_create(QCD_METHOD_SPI);
	ck_assert(token->set_secret(token, secret));
	secret->destroy(secret);
	limiter = qcd_limiter_create(100, 200, 20, 100);

	for (i = 0; i < countof(threads); i++)
	{
		threads[i] = thread_create(kinds[i % countof(kinds)],
								   (void*)(intptr_t)(i / countof(kinds)));
		ck_assert(threads[i] != NULL);
	}
	for (i = 0; i < countof(threads); i++)
	{
		threads[i]->join(threads[i]);
	}
	/* every entry and token went again, none was counted twice */
	ck_assert_int_eq(store->get_count(store, &tokens), 0);
	ck_assert_int_eq(tokens, 0);
	limiter->destroy(limiter);
	token->destroy(token);
	store->destroy(store);
}
END_TEST

Suite *stress_suite_create()
{
	Suite *s;
	TCase *tc;

	s = suite_create("stress");
	tc = tcase_create("threads");
	tcase_add_checked_fixture(tc, qcd_tests_tmpdir, qcd_tests_cleanup);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_all_at_once);
	suite_add_tcase(s, tc);
	return s;
}
