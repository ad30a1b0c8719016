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

#include <qcd_counters.h>
#include <qcd_status.h>
#include <qcd_store.h>

#include <daemon.h>
#include <collections/linked_list.h>
#include <threading/thread.h>

#include <stdio.h>
#include <sys/stat.h>

static chunk_t peer_token = chunk_from_chars(
	0x01,0x02,0x03,0x04,0x05,0x06,0x07,0x08,
	0x09,0x0a,0x0b,0x0c,0x0d,0x0e,0x0f,0x10);

START_TEST(test_counters)
{
	qcd_counters_t *counters = qcd_counters_create();
	int i;

	for (i = 0; i < QCD_COUNTER_MAX; i++)
	{
		ck_assert(counters->get(counters, i) == 0);
		/* every counter has a name for the status output */
		ck_assert(enum_to_name(qcd_counter_names, i) != NULL);
	}
	counters->inc(counters, QCD_TOKENS_VERIFIED);
	counters->inc(counters, QCD_TOKENS_VERIFIED);
	counters->inc(counters, QCD_DELETES);
	ck_assert(counters->get(counters, QCD_TOKENS_VERIFIED) == 2);
	ck_assert(counters->get(counters, QCD_DELETES) == 1);
	ck_assert(counters->get(counters, QCD_NUDGES) == 0);
	/* out of range is ignored */
	counters->inc(counters, QCD_COUNTER_MAX);
	ck_assert(counters->get(counters, QCD_COUNTER_MAX) == 0);
	counters->destroy(counters);
}
END_TEST

START_TEST(test_store_info)
{
	qcd_store_t *store = qcd_store_create(1);
	qcd_store_info_t info;
	ike_sa_id_t *a, *b;

	a = ike_sa_id_create(IKEV2_MAJOR_VERSION, htobe64(1), htobe64(2), TRUE);
	b = ike_sa_id_create(IKEV2_MAJOR_VERSION, htobe64(3), htobe64(4), FALSE);
	ck_assert(!store->get_info(store, 1, &info));
	store->add(store, a, 1);
	store->add(store, b, 2);
	ck_assert(store->get_info(store, 1, &info));
	ck_assert(!info.token && !info.pending && !info.full && !info.given &&
			  !info.owed);

	/* a token before authentication is pending, then held */
	ck_assert(store->set_token(store, a, peer_token, QCD_TOKEN_AFTER_AUTH));
	ck_assert(store->get_info(store, 1, &info));
	ck_assert(info.pending && !info.token);
	ck_assert(store->confirm(store, a));
	ck_assert(store->get_info(store, 1, &info));
	ck_assert(info.token && !info.pending && !info.full);

	/* max_tokens is 1: the second SA's finds no room */
	ck_assert(!store->set_token(store, b, peer_token, QCD_TOKEN_USABLE));
	ck_assert(store->get_info(store, 2, &info));
	ck_assert(!info.token && info.full);

	/* ours, given and owed */
	store->given(store, a);
	ck_assert(store->get_info(store, 1, &info));
	ck_assert(info.given && !info.owed);
	store->owe(store, a);
	ck_assert(store->get_info(store, 1, &info));
	ck_assert(info.given && info.owed);
	ck_assert(store->get_info(store, 2, &info));
	ck_assert(!info.given);

	/* room again once the first SA is gone */
	store->remove(store, 1);
	ck_assert(!store->get_info(store, 1, &info));
	ck_assert(store->set_token(store, b, peer_token, QCD_TOKEN_USABLE));
	ck_assert(store->get_info(store, 2, &info));
	ck_assert(info.token && !info.full);

	a->destroy(a);
	b->destroy(b);
	store->destroy(store);
}
END_TEST

/**
 * charon's IKE_SA manager, replaced by one that enumerates our IKE_SAs
 */
static ike_sa_manager_t manager, *charon_manager;
static linked_list_t *sas;
static qcd_store_t *store;
static qcd_counters_t *counters;
static qcd_token_t *token;
static peer_cfg_t *peer_cfg;

METHOD(ike_sa_manager_t, create_enumerator, enumerator_t*,
	ike_sa_manager_t *this, bool wait)
{
	return sas->create_enumerator(sas);
}

/**
 * Add an IKEv2 SA to charon's
 */
static ike_sa_t *add_sa(uint64_t spi_i, uint64_t spi_r, bool initiator)
{
	ike_sa_id_t *id;
	ike_sa_t *ike_sa;

	id = ike_sa_id_create(IKEV2_MAJOR_VERSION, htobe64(spi_i), htobe64(spi_r),
						  initiator);
	ike_sa = ike_sa_create(id, initiator, IKEV2);
	id->destroy(id);
	ck_assert(ike_sa != NULL);
	sas->insert_last(sas, ike_sa);
	return ike_sa;
}

static void setup()
{
	ike_cfg_t *ike_cfg;

	token = qcd_tests_token();
	store = qcd_store_create(10);
	counters = qcd_counters_create();
	sas = linked_list_create();
	manager = (ike_sa_manager_t){
		.create_enumerator = _create_enumerator,
	};
	charon_manager = charon->ike_sa_manager;
	charon->ike_sa_manager = &manager;
	ike_cfg = ike_cfg_create(&(ike_cfg_create_t){
		.version = IKEV2, .local = "192.0.2.1", .remote = "192.0.2.100",
		.remote_port = IKEV2_UDP_PORT,
	});
	/* a name with a space and an '=', which the protocol can't carry */
	peer_cfg = peer_cfg_create("road warrior=1", ike_cfg,
							   &(peer_cfg_create_t){});
}

static void teardown()
{
	charon->ike_sa_manager = charon_manager;
	sas->destroy_offset(sas, offsetof(ike_sa_t, destroy));
	peer_cfg->destroy(peer_cfg);
	counters->destroy(counters);
	store->destroy(store);
	token->destroy(token);
	qcd_tests_cleanup();
}

/**
 * The status as printed, in a static buffer
 */
static char *print(qcd_status_t *status, bool with_sas)
{
	static char buf[4096];
	FILE *out;

	out = fmemopen(buf, sizeof(buf), "w");
	ck_assert(out != NULL);
	status->print(status, out, with_sas);
	ck_assert(!ferror(out));
	fclose(out);
	return buf;
}

/**
 * Whether the output has a line that starts with prefix
 */
static bool has_line(char *output, char *prefix)
{
	char *pos = output;
	size_t len = strlen(prefix);

	while (pos && *pos)
	{
		if (strneq(pos, prefix, len))
		{
			return TRUE;
		}
		pos = strchr(pos, '\n');
		pos = pos ? pos + 1 : NULL;
	}
	return FALSE;
}

/**
 * How many times str is in the output
 */
static int count(char *output, char *str)
{
	int n = 0;

	while ((output = strstr(output, str)))
	{
		n++;
		output++;
	}
	return n;
}

START_TEST(test_print)
{
	char fingerprint[QCD_FINGERPRINT_LEN], expected[256], *out;
	qcd_status_t *status;
	ike_sa_t *first, *second;
	host_t *peer;

	first = add_sa(0x11, 0x22, TRUE);
	second = add_sa(0x33, 0x44, FALSE);
	second->set_peer_cfg(second, peer_cfg);
	peer = host_create_from_string("192.0.2.100", 4500);
	second->set_other_host(second, peer);
	store->add(store, first->get_id(first), first->get_unique_id(first));
	store->add(store, second->get_id(second), second->get_unique_id(second));
	ck_assert(store->set_token(store, first->get_id(first), peer_token,
							   QCD_TOKEN_USABLE));
	store->given(store, first->get_id(first));
	ck_assert(store->set_token(store, second->get_id(second), peer_token,
							   QCD_TOKEN_AFTER_AUTH));
	counters->inc(counters, QCD_TOKENS_VERIFIED);
	counters->inc(counters, QCD_PUSHES_SENT);
	counters->inc(counters, QCD_PUSHES_SENT);

	status = qcd_status_create(store, counters, token, NULL, TRUE, NULL);
	ck_assert(status != NULL);
	out = print(status, TRUE);
	ck_assert(has_line(out, "version 1\n"));
	ck_assert(token->get_fingerprint(token, fingerprint));
	snprintf(expected, sizeof(expected), "plugin maker=on taker=on secret=%s "
			 "generations=1 method=spi push=off nudge=on\n", fingerprint);
	ck_assert(has_line(out, expected));
	ck_assert(has_line(out, "counters tokens_sent=0 replies_sent=0 "
					   "replies_notify=0 replies_dropped=0 requests_live=0 "
					   "requests_unconfigured=0 pushes_sent=2 tokens_stored=0 "
					   "tokens_not_stored=0 tokens_verified=1 "
					   "tokens_rejected=0 verify_dropped=0 nudges=0 "
					   "deletes=0\n"));
	ck_assert(has_line(out, "store ike_sas=2 tokens=1 max_tokens=100000\n"));
	ck_assert(has_line(out, "journal push=off\n"));
	snprintf(expected, sizeof(expected), "ike_sa name=(unnamed) uid=%u "
			 "state=CREATED peer=%%any peer_token=held our_token=given\n",
			 first->get_unique_id(first));
	ck_assert(has_line(out, expected));
	snprintf(expected, sizeof(expected), "ike_sa name=road?warrior?1 uid=%u "
			 "state=CREATED peer=192.0.2.100 peer_token=pending "
			 "our_token=none\n", second->get_unique_id(second));
	ck_assert(has_line(out, expected));
	/* in order, end last */
	ck_assert(strstr(out, "uid=") < strstr(out, "road?warrior"));
	ck_assert_int_eq(count(out, "ike_sa "), 2);
	ck_assert(streq(out + strlen(out) - 4, "end\n"));
	/* never a token */
	ck_assert(!strstr(out, "0102030405"));

	/* the summary has no ike_sa lines */
	out = print(status, FALSE);
	ck_assert(has_line(out, "store ike_sas=2"));
	ck_assert_int_eq(count(out, "ike_sa "), 0);
	ck_assert(streq(out + strlen(out) - 4, "end\n"));
	status->destroy(status);

	/* both roles off */
	status = qcd_status_create(store, counters, NULL, NULL, FALSE, NULL);
	out = print(status, TRUE);
	ck_assert(has_line(out, "plugin maker=off taker=off secret=none "
					   "generations=0 method=spi push=off nudge=off\n"));
	ck_assert_int_eq(count(out, "peer_token=off our_token=off"), 2);
	status->destroy(status);
}
END_TEST

START_TEST(test_socket)
{
	char uri[128], *path = qcd_tests_path("charon.qcd");
	qcd_status_t *status;
	struct stat st;
	mode_t mask;

	snprintf(uri, sizeof(uri), "unix://%s", path);
	status = qcd_status_create(store, counters, token, NULL, TRUE, uri);
	ck_assert(status != NULL);
	/* as charon's vici socket: for charon's user and group only */
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	/* 0770 up to strongSwan 6.0, 0660 since 6.1 */
	ck_assert_int_eq(st.st_mode & 0667, 0660);
	status->destroy(status);

	/* a socket that can't be created is no status, and leaves charon's
	 * umask as it was (6.1's stream service does not) */
	mask = umask(022);
	ck_assert(qcd_status_create(store, counters, token, NULL, TRUE,
							"unix:///nonexistent/charon.qcd") == NULL);
	ck_assert_int_eq(umask(mask), 022);
	/* none asked for */
	status = qcd_status_create(store, counters, token, NULL, TRUE, "");
	ck_assert(status != NULL);
	status->destroy(status);
}
END_TEST

/** Threads and rounds of test_concurrent */
#define THREADS 4
#define ROUNDS 2000

/**
 * What charon's workers do meanwhile: IKE_SAs come, get tokens and go, and
 * events are counted
 */
static void *worker(void *arg)
{
	intptr_t t = (intptr_t)arg;
	qcd_store_info_t info;
	ike_sa_id_t *id;
	u_int uid;
	int i;

	for (i = 0; i < ROUNDS; i++)
	{
		uid = 1000 + t * ROUNDS + i;
		id = ike_sa_id_create(IKEV2_MAJOR_VERSION, htobe64(uid),
							  htobe64(t + 1), TRUE);
		store->add(store, id, uid);
		store->set_token(store, id, peer_token, QCD_TOKEN_USABLE);
		store->given(store, id);
		ck_assert(store->get_info(store, uid, &info) && info.given);
		counters->inc(counters, QCD_TOKENS_SENT);
		counters->inc(counters, QCD_TOKENS_STORED);
		store->remove(store, uid);
		id->destroy(id);
	}
	return NULL;
}

START_TEST(test_concurrent)
{
	thread_t *threads[THREADS];
	qcd_status_t *status;
	char *out;
	int i;

	add_sa(0x11, 0x22, TRUE);
	status = qcd_status_create(store, counters, token, NULL, TRUE, NULL);
	for (i = 0; i < THREADS; i++)
	{
		threads[i] = thread_create((thread_main_t)worker, (void*)(intptr_t)i);
	}
	for (i = 0; i < 50; i++)
	{
		out = print(status, TRUE);
		ck_assert(streq(out + strlen(out) - 4, "end\n"));
	}
	for (i = 0; i < THREADS; i++)
	{
		threads[i]->join(threads[i]);
	}
	/* no increment lost */
	ck_assert(counters->get(counters, QCD_TOKENS_SENT) == THREADS * ROUNDS);
	ck_assert(counters->get(counters, QCD_TOKENS_STORED) == THREADS * ROUNDS);
	out = print(status, TRUE);
	ck_assert(strstr(out, "tokens_sent=8000 "));
	ck_assert(has_line(out, "store ike_sas=0 tokens=0 "));
	status->destroy(status);
}
END_TEST

Suite *status_suite_create()
{
	Suite *s;
	TCase *tc;

	s = suite_create("status");
	tc = tcase_create("counters");
	tcase_add_test(tc, test_counters);
	tcase_add_test(tc, test_store_info);
	suite_add_tcase(s, tc);
	tc = tcase_create("print");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_print);
	tcase_add_test(tc, test_socket);
	tcase_add_test(tc, test_concurrent);
	suite_add_tcase(s, tc);
	return s;
}
