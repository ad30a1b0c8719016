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
static qcd_counters_t *counters;
static qcd_verifier_t *verifier;
static ike_sa_id_t *sa;

/** liveness checks (nudges) the last process() queued */
static u_int nudges;

static chunk_t token = chunk_from_chars(
	0x01,0x02,0x03,0x04,0x05,0x06,0x07,0x08,
	0x09,0x0a,0x0b,0x0c,0x0d,0x0e,0x0f,0x10);
static chunk_t other = chunk_from_chars(
	0xf1,0xf2,0xf3,0xf4,0xf5,0xf6,0xf7,0xf8,
	0xf9,0xfa,0xfb,0xfc,0xfd,0xfe,0xff,0xf0);

/**
 * Our IKE_SA, initiator, with the peer's token, INFORMATIONAL request 4 out
 */
static void setup()
{
	store = qcd_store_create(10);
	counters = qcd_counters_create();
	verifier = qcd_verifier_create(store, counters);
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
	counters->destroy(counters);
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
	ck_assert(counters->get(counters, QCD_TOKENS_VERIFIED) == 1);
	ck_assert(counters->get(counters, QCD_TOKENS_REJECTED) == 0);
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
	 * no outstanding request, it deletes nothing but nudges (R9.1-6) */
	assert_ignored(5, INFORMATIONAL, 0xbb, token);
	ck_assert_int_eq(nudges, 1);
	assert_ignored(4, CREATE_CHILD_SA, 0xbb, token);
	ck_assert_int_eq(nudges, 0);
	/* unknown SA */
	assert_ignored(4, INFORMATIONAL, 0xcc, token);
	/* the right token counts as verified, whatever it answers */
	ck_assert(counters->get(counters, QCD_TOKENS_VERIFIED) == 2);
	ck_assert(counters->get(counters, QCD_TOKENS_REJECTED) == 2);
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
	/* a push: no delete, a liveness check instead (R9.1-6) */
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
	verifier = qcd_verifier_create(store, counters);
	lib->settings->set_str(lib->settings, "%s.plugins.qcd.nudge", NULL,
						   lib->ns);
	reply.count = 1;
	reply.tokens[0] = token;
	qcd_tests_log_start();
	ck_assert(process(&reply, 0, &queued));
	qcd_tests_log_stop();
	ck_assert_int_eq(queued + nudges, 0);
	/* and it says so */
	ck_assert_int_eq(qcd_tests_logged("nudge = no", FALSE), 1);
	ck_assert_int_eq(qcd_tests_logged("checking the IKE_SA", TRUE), 0);
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

/**
 * The nudge job against an IKE_SA, with charon's parts replaced: jobs are
 * kept until run_jobs(), the IKE_SA manager hands out one real IKE_SA whose
 * task manager calls are counted, and the sender collects packets
 */
static processor_t processor, *charon_processor;
static ike_sa_manager_t manager, *charon_manager;
static sender_t sender, *charon_sender;
static linked_list_t *jobs, *sent;
static ike_sa_t *ike_sa;
static u_int retransmits, dpds;

METHOD(processor_t, queue_job, void, processor_t *this, job_t *job)
{
	jobs->insert_last(jobs, job);
}

METHOD(processor_t, get_job_load, u_int, processor_t *this,
	   job_priority_t prio)
{
	enumerator_t *enumerator;
	job_t *job;
	u_int count = 0;

	enumerator = jobs->create_enumerator(jobs);
	while (enumerator->enumerate(enumerator, &job))
	{
		count += job->get_priority(job) == prio;
	}
	enumerator->destroy(enumerator);
	return count;
}

METHOD(ike_sa_manager_t, checkout, ike_sa_t*, ike_sa_manager_t *this,
	   ike_sa_id_t *id)
{
	return id->equals(id, ike_sa->get_id(ike_sa)) ? ike_sa : NULL;
}

METHOD(ike_sa_manager_t, checkin, void, ike_sa_manager_t *this,
	   ike_sa_t *sa)
{
}

METHOD(sender_t, send_, void, sender_t *this, packet_t *packet)
{
	sent->insert_last(sent, packet);
}

METHOD(ike_sa_t, get_state, ike_sa_state_t, ike_sa_t *this)
{
	return IKE_ESTABLISHED;
}

METHOD(ike_sa_t, retransmit, status_t, ike_sa_t *this, uint32_t mid)
{
	retransmits++;
	return INVALID_STATE;
}

METHOD(ike_sa_t, queue_task, void, ike_sa_t *this, task_t *task)
{
	if (task->get_type(task) == TASK_IKE_DPD)
	{
		dpds++;
	}
	task->destroy(task);
}

METHOD(ike_sa_t, initiate, status_t, ike_sa_t *this, child_cfg_t *child_cfg,
	   child_init_args_t *args)
{
	return SUCCESS;
}

/** the request charon sent, as kept by the listener */
static chunk_t request = chunk_from_chars(0x00,0x00,0x00,0x00,0x00,0x00,
	0x00,0xaa,0x2e,0x20,0x25,0x08,0x00,0x00,0x00,0x04,0x00,0x00,0x00,0x50);

static void setup_job()
{
	setup();
	jobs = linked_list_create();
	sent = linked_list_create();
	processor = *lib->processor;
	processor.queue_job = _queue_job;
	processor.get_job_load = _get_job_load;
	charon_processor = lib->processor;
	lib->processor = &processor;
	manager = (ike_sa_manager_t){
		.checkout = _checkout,
		.checkin = _checkin,
		.checkin_and_destroy = _checkin,
	};
	charon_manager = charon->ike_sa_manager;
	charon->ike_sa_manager = &manager;
	sender = (sender_t){ .send = _send_ };
	charon_sender = charon->sender;
	charon->sender = &sender;
	ike_sa = ike_sa_create(sa, TRUE, IKEV2);
	ike_sa->set_my_host(ike_sa, host_create_from_string("192.0.2.1", 4500));
	ike_sa->set_other_host(ike_sa, host_create_from_string("192.0.2.2", 4500));
	ike_sa->get_state = _get_state;
	ike_sa->retransmit = _retransmit;
	ike_sa->queue_task = _queue_task;
	ike_sa->initiate = _initiate;
	retransmits = dpds = 0;
	/* DPD 4 outstanding, as sent */
	store->set_packet(store, sa, 4, request);
}

static void teardown_job()
{
	lib->processor = charon_processor;
	charon->ike_sa_manager = charon_manager;
	charon->sender = charon_sender;
	jobs->destroy_offset(jobs, offsetof(job_t, destroy));
	sent->destroy_offset(sent, offsetof(packet_t, destroy));
	ike_sa->destroy(ike_sa);
	teardown();
}

/**
 * Run the queued jobs
 */
static void run_jobs()
{
	job_t *job;

	while (jobs->remove_first(jobs, (void**)&job) == SUCCESS)
	{
		job->execute(job);
		job->destroy(job);
	}
}

/**
 * A push for our SA, verified
 */
static void push()
{
	qcd_reply_t reply = reply_for(QCD_PUSH_MID, INFORMATIONAL);
	u_int queued;

	reply.count = 1;
	reply.tokens[0] = token;
	ck_assert(process(&reply, 0, &queued));
	ck_assert_int_eq(queued, 0);
}

START_TEST(test_nudge_outstanding)
{
	packet_t *packet;
	chunk_t data;
	host_t *dst;

	push();
	ck_assert_int_eq(jobs->get_count(jobs), 1);
	run_jobs();
	ck_assert(counters->get(counters, QCD_NUDGES) == 1);
	/* the outstanding DPD goes out once more, as it was sent, but never
	 * through ike_sa->retransmit(), which would start a second
	 * retransmission chain and make charon give up on a live but
	 * unreachable peer sooner (issue 17 item 1, R9.1-6) */
	ck_assert_int_eq(retransmits, 0);
	ck_assert_int_eq(dpds, 0);
	ck_assert_int_eq(sent->get_count(sent), 1);
	sent->get_first(sent, (void**)&packet);
	ck_assert(chunk_equals(packet->get_data(packet), request));
	dst = packet->get_destination(packet);
	ck_assert_int_eq(dst->get_port(dst), 4500);
	/* at most once per message ID, whatever the replays */
	ck_assert(!store->resend(store, sa, 4, &data));
	/* a new request may go out once more again */
	store->set_request(store, sa, 5, INFORMATIONAL);
	store->set_packet(store, sa, 5, request);
	ck_assert(store->resend(store, sa, 5, &data));
	chunk_free(&data);
}
END_TEST

START_TEST(test_nudge_answered)
{
	push();
	/* our DPD is answered before the job runs: check with a new one
	 * (issue 17 item 4), nothing sent once more */
	store->answered(store, sa, 4);
	run_jobs();
	ck_assert_int_eq(retransmits, 0);
	ck_assert_int_eq(dpds, 1);
	ck_assert_int_eq(sent->get_count(sent), 0);
}
END_TEST

START_TEST(test_nudge_log)
{
	job_t *job;
	int i;

	/* one line per nudge up to 30 per 10 s, then they are counted */
	qcd_tests_log_start();
	push();
	jobs->remove_first(jobs, (void**)&job);
	for (i = 0; i < 40; i++)
	{
		store->answered(store, sa, 4);
		job->execute(job);
	}
	job->destroy(job);
	qcd_tests_log_stop();
	ck_assert_int_eq(qcd_tests_logged("may have lost", TRUE), 30);
	ck_assert_int_eq(dpds, 40);
}
END_TEST

START_TEST(test_nudge_not_kept)
{
	/* a request too large, or fragmented, is not kept: its own
	 * retransmission checks the IKE_SA, no DPD queued behind it */
	chunk_t big = chunk_alloc(QCD_RESEND_MAX + 1);

	memset(big.ptr, 0, big.len);
	store->set_request(store, sa, 5, CREATE_CHILD_SA);
	/* the store keeps a copy, if any */
	store->set_packet(store, sa, 5, big);
	chunk_free(&big);
	push();
	run_jobs();
	ck_assert_int_eq(retransmits + dpds, 0);
	ck_assert_int_eq(sent->get_count(sent), 0);
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

	tc = tcase_create("nudge");
	tcase_add_checked_fixture(tc, setup_job, teardown_job);
	tcase_add_test(tc, test_nudge_outstanding);
	tcase_add_test(tc, test_nudge_answered);
	tcase_add_test(tc, test_nudge_not_kept);
	tcase_add_test(tc, test_nudge_log);
	suite_add_tcase(s, tc);
	return s;
}
