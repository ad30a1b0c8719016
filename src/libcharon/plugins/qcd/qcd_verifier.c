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

#include "qcd_verifier.h"
#include "qcd_limiter.h"

#include <daemon.h>
#include <processing/jobs/callback_job.h>
#include <sa/ikev2/tasks/ike_dpd.h>
#include <threading/mutex.h>

#include <inttypes.h>

/** Seconds between log lines of one kind */
#define LOG_INTERVAL 10

/** Most nudges logged one by one per LOG_INTERVAL, the rest is counted */
#define NUDGE_LOGS 30

typedef struct private_qcd_verifier_t private_qcd_verifier_t;

/**
 * Kinds of rate-limited log lines
 */
typedef enum {
	LOG_MALFORMED,
	LOG_LIMITED,
	LOG_FAILED,
	LOG_KINDS,
} log_kind_t;

/**
 * Private data of a qcd_verifier_t object.
 */
struct private_qcd_verifier_t {

	/**
	 * Public interface.
	 */
	qcd_verifier_t public;

	/**
	 * Tokens per IKE_SA
	 */
	qcd_store_t *store;

	/**
	 * Event counters
	 */
	qcd_counters_t *counters;

	/**
	 * Verification limits (R8.1-3)
	 */
	qcd_limiter_t *limiter;

	/**
	 * Check the IKE_SA on a verified token that answers no request
	 */
	bool nudge;

	/**
	 * Last log time and events since, per kind
	 */
	time_t last_log[LOG_KINDS];
	u_int events[LOG_KINDS];

	/**
	 * Start of the current nudge log interval, nudges logged and not logged
	 * in it
	 */
	time_t nudge_start;
	u_int nudge_logged, nudge_quiet;

	/**
	 * Protects the log state
	 */
	mutex_t *mutex;
};

/**
 * Count an event, TRUE if it may be logged now; *count gets the number of
 * events since the last log line, including this one.
 */
static bool throttle(private_qcd_verifier_t *this, log_kind_t kind,
					 u_int *count)
{
	time_t now = time_monotonic(NULL);
	bool log = FALSE;

	this->mutex->lock(this->mutex);
	*count = ++this->events[kind];
	if (!this->last_log[kind] || now - this->last_log[kind] >= LOG_INTERVAL)
	{
		this->last_log[kind] = now;
		this->events[kind] = 0;
		log = TRUE;
	}
	this->mutex->unlock(this->mutex);
	return log;
}

/**
 * Whether a nudge may be logged: NUDGE_LOGS per LOG_INTERVAL, and a count
 * of those that were not once the interval is over
 */
static bool throttle_nudge(private_qcd_verifier_t *this)
{
	time_t now = time_monotonic(NULL);
	u_int quiet = 0;
	bool log;

	this->mutex->lock(this->mutex);
	if (now - this->nudge_start >= LOG_INTERVAL)
	{
		quiet = this->nudge_quiet;
		this->nudge_start = now;
		this->nudge_logged = this->nudge_quiet = 0;
	}
	log = this->nudge_logged < NUDGE_LOGS;
	if (log)
	{
		this->nudge_logged++;
	}
	else
	{
		this->nudge_quiet++;
	}
	this->mutex->unlock(this->mutex);
	if (quiet)
	{
		DBG1(DBG_IKE, "qcd: %u more IKE_SA(s) checked for verified QCD tokens "
			 "answering none of our requests, not logged", quiet);
	}
	return log;
}

/**
 * An IKE_SA to delete or check
 */
typedef struct {
	/** the IKE_SA */
	ike_sa_id_t *id;
	/** its outstanding request, if any */
	qcd_store_t *store;
	/** for the log and the counters */
	private_qcd_verifier_t *verifier;
} lost_t;

/**
 * Destroy a lost_t
 */
static void lost_destroy(lost_t *this)
{
	this->id->destroy(this->id);
	free(this);
}

/**
 * Delete an IKE_SA the peer lost, silently, from a job (R3-8, R4.5-7)
 */
static job_requeue_t delete_lost(lost_t *this)
{
	ike_sa_t *ike_sa;
	ike_sa_state_t state;

	ike_sa = charon->ike_sa_manager->checkout(charon->ike_sa_manager,
											  this->id);
	if (!ike_sa)
	{	/* gone meanwhile, e.g. deleted by a retransmission timeout */
		return JOB_REQUEUE_NONE;
	}
	this->verifier->counters->inc(this->verifier->counters, QCD_DELETES);
	state = ike_sa->get_state(ike_sa);
	DBG1(DBG_IKE, "qcd: peer %H lost IKE_SA %s[%u] (verified QCD token), "
		 "deleting it and its CHILD_SAs silently",
		 ike_sa->get_other_host(ike_sa), ike_sa->get_name(ike_sa),
		 ike_sa->get_unique_id(ike_sa));
	/* exactly what a DPD timeout does, so dpd_action applies (R3-11) */
	ike_sa->reestablish(ike_sa);
	if (state != IKE_CONNECTING && state != IKE_REKEYED)
	{
		charon->bus->ike_updown(charon->bus, ike_sa, FALSE);
	}
	charon->ike_sa_manager->checkin_and_destroy(charon->ike_sa_manager, ike_sa);
	return JOB_REQUEUE_NONE;
}

/**
 * Check whether an IKE_SA is alive, from a job: a verified token that
 * answers no outstanding request must not delete it (R9.1-6), but the
 * maker's reply to this check will if the peer lost it.
 *
 * Without a request of ours outstanding, the check is a DPD.  With one,
 * say a DPD sent while the peer restarted, a DPD would only queue behind
 * it; instead, the request's packet as first sent is sent once more, out of
 * band, at most once per message ID.  This never calls ike_sa->retransmit():
 * in task_manager_v2.c that sends, increments initiating.retransmitted and
 * schedules another retransmit_job, while the pending retransmit_job still
 * fires and increments the same counter, so every call adds a second
 * retransmission chain and charon gives up on a live but unreachable peer
 * after about a third of its retransmission budget (59 s instead of 165 s
 * for one nudge, with the defaults).  A packet handed to charon->sender
 * touches none of the task manager's state: the retransmission timer, the
 * count and so the time until charon gives up stay exactly as without
 * the nudge, however often a token is replayed.  The peer sees a
 * retransmission, which it answers with its cached response if it got
 * the request, with the QCD reply if it lost the SA.
 *
 * Whether a request is outstanding is read here, with the IKE_SA checked
 * out, not when the token arrived: if it was answered meanwhile, this
 * falls back to a DPD.
 */
static job_requeue_t check_alive(lost_t *this)
{
	ike_sa_t *ike_sa;
	status_t status = SUCCESS;
	host_t *me, *other;
	chunk_t data;
	uint32_t mid;

	ike_sa = charon->ike_sa_manager->checkout(charon->ike_sa_manager,
											  this->id);
	if (!ike_sa)
	{
		return JOB_REQUEUE_NONE;
	}
	if (this->store->outstanding(this->store, this->id, &mid))
	{
		if (this->store->resend(this->store, this->id, mid, &data))
		{
			this->verifier->counters->inc(this->verifier->counters,
										  QCD_NUDGES);
			if (throttle_nudge(this->verifier))
			{
				DBG1(DBG_IKE, "qcd: peer %H may have lost IKE_SA %s[%u] "
					 "(verified QCD token, answering none of our requests), "
					 "checking it with a retransmission of our request %u, "
					 "out of band", ike_sa->get_other_host(ike_sa),
					 ike_sa->get_name(ike_sa), ike_sa->get_unique_id(ike_sa),
					 mid);
			}
			me = ike_sa->get_my_host(ike_sa);
			other = ike_sa->get_other_host(ike_sa);
			charon->sender->send(charon->sender,
					packet_create_from_data(me->clone(me), other->clone(other),
											data));
		}
		else
		{	/* its next retransmission checks the IKE_SA */
			DBG2(DBG_IKE, "qcd: IKE_SA %s[%u] has request %u outstanding, "
				 "sent once more already or not kept, not checking it",
				 ike_sa->get_name(ike_sa), ike_sa->get_unique_id(ike_sa), mid);
		}
	}
	else if (ike_sa->get_state(ike_sa) == IKE_ESTABLISHED)
	{
		this->verifier->counters->inc(this->verifier->counters, QCD_NUDGES);
		if (throttle_nudge(this->verifier))
		{
			DBG1(DBG_IKE, "qcd: peer %H may have lost IKE_SA %s[%u] (verified "
				 "QCD token, answering none of our requests), checking it "
				 "with DPD", ike_sa->get_other_host(ike_sa),
				 ike_sa->get_name(ike_sa), ike_sa->get_unique_id(ike_sa));
		}
		ike_sa->queue_task(ike_sa, (task_t*)ike_dpd_create(TRUE));
		status = ike_sa->initiate(ike_sa, NULL, NULL);
	}
	if (status == DESTROY_ME)
	{
		charon->ike_sa_manager->checkin_and_destroy(charon->ike_sa_manager,
													ike_sa);
	}
	else
	{
		charon->ike_sa_manager->checkin(charon->ike_sa_manager, ike_sa);
	}
	return JOB_REQUEUE_NONE;
}

METHOD(qcd_verifier_t, process, bool,
	private_qcd_verifier_t *this, message_t *message)
{
	host_t *src = message->get_source(message);
	ike_sa_id_t *id = NULL;
	qcd_reply_t reply;
	qcd_match_t result;
	lost_t *lost;
	u_int count;

	if (message->get_major_version(message) != IKEV2_MAJOR_VERSION ||
		message->get_request(message) ||
		message->get_exchange_type(message) == IKE_SA_INIT ||
		message->get_first_payload_type(message) != PLV2_NOTIFY)
	{	/* IKE_SA_INIT responses (COOKIE, NO_PROPOSAL_CHOSEN) are none */
		return FALSE;
	}
	if (!qcd_reply_parse(message->get_packet_data(message), &reply))
	{
		if (throttle(this, LOG_MALFORMED, &count))
		{
			DBG1(DBG_IKE, "qcd: %u unprotected notify-only responses without a "
				 "valid QCD token, latest from %#H; passed on to charon",
				 count, src);
		}
		return FALSE;
	}
	if (!this->limiter->allow(this->limiter, src))
	{
		this->counters->inc(this->counters, QCD_VERIFY_DROPPED);
		if (throttle(this, LOG_LIMITED, &count))
		{
			DBG1(DBG_IKE, "qcd: dropped %u unprotected replies over the "
				 "verification limits, latest from %#H", count, src);
		}
		return TRUE;
	}
	result = this->store->match(this->store, &reply, &id);
	switch (result)
	{
		case QCD_MATCH_OK:
		case QCD_MATCH_NUDGE:
		case QCD_MATCH_NUDGED:
			this->counters->inc(this->counters, QCD_TOKENS_VERIFIED);
			break;
		default:
			this->counters->inc(this->counters, QCD_TOKENS_REJECTED);
			break;
	}
	if (result == QCD_MATCH_NUDGE && this->nudge)
	{
		DBG2(DBG_IKE, "qcd: verified QCD token from %#H for IKE SPIs "
			 "%.16"PRIx64"_i %.16"PRIx64"_r, answering no request",
			 src, be64toh(reply.spi_i), be64toh(reply.spi_r));
		INIT(lost,
			.id = id,
			.store = this->store,
			.verifier = this,
		);
		lib->processor->queue_job(lib->processor,
			(job_t*)callback_job_create_with_prio(
					(callback_job_cb_t)check_alive, lost,
					(callback_job_cleanup_t)lost_destroy, NULL,
					JOB_PRIO_MEDIUM));
		return TRUE;
	}
	if (result == QCD_MATCH_NUDGE)
	{
		id->destroy(id);
	}
	if (result != QCD_MATCH_OK)
	{	/* no response, nothing happens to the SA (R4.5-8, R9.1-6) */
		if (throttle(this, LOG_FAILED, &count))
		{
			DBG1(DBG_IKE, "qcd: ignoring unprotected reply with %d QCD "
				 "token(s) from %#H for IKE SPIs %.16"PRIx64"_i "
				 "%.16"PRIx64"_r: %N%s(%u such replies)", reply.count, src,
				 be64toh(reply.spi_i),
				 be64toh(reply.spi_r), qcd_match_names, result,
				 result == QCD_MATCH_NUDGE ? ", not checking it (nudge = no) " :
				 " ", count);
		}
		return TRUE;
	}
	DBG2(DBG_IKE, "qcd: verified QCD token from %#H for IKE SPIs "
		 "%.16"PRIx64"_i %.16"PRIx64"_r", src, be64toh(reply.spi_i),
		 be64toh(reply.spi_r));
	/* never checkout from within a hook, the SA may be held by our thread */
	INIT(lost,
		.id = id,
		.store = this->store,
		.verifier = this,
	);
	lib->processor->queue_job(lib->processor,
			(job_t*)callback_job_create_with_prio(
					(callback_job_cb_t)delete_lost, lost,
					(callback_job_cleanup_t)lost_destroy, NULL,
					JOB_PRIO_HIGH));
	return TRUE;
}

METHOD(qcd_verifier_t, destroy, void,
	private_qcd_verifier_t *this)
{
	this->limiter->destroy(this->limiter);
	this->mutex->destroy(this->mutex);
	free(this);
}

/*
 * Described in header
 */
qcd_verifier_t *qcd_verifier_create(qcd_store_t *store,
									qcd_counters_t *counters)
{
	private_qcd_verifier_t *this;

	INIT(this,
		.public = {
			.process = _process,
			.destroy = _destroy,
		},
		.store = store,
		.counters = counters,
		.limiter = qcd_limiter_create_from_settings("verify"),
		.nudge = lib->settings->get_bool(lib->settings,
							"%s.plugins.qcd.nudge", TRUE, lib->ns),
		.mutex = mutex_create(MUTEX_TYPE_DEFAULT),
	);
	return &this->public;
}
