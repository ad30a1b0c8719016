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

#include "qcd_push.h"
#include "qcd_limiter.h"

#include <daemon.h>
#include <processing/jobs/callback_job.h>

/**
 * State of the push job
 */
typedef struct {
	/** inherited IKE_SAs */
	qcd_journal_t *journal;
	/** sends the pushes */
	qcd_responder_t *responder;
	/** pacing of the entries offered, pushed or not */
	qcd_bucket_t bucket;
	/** entries offered per second */
	u_int rate;
	/** most half-open IKE_SAs for which to push more, 0 for no limit */
	u_int half_open;
	/** monotonic time in ms of the start */
	uint64_t start;
	/** after this monotonic time in ms, entries without config are dropped */
	uint64_t deadline;
	/** entries offered in this round */
	u_int offered;
	/** IKE_SAs pushed, in all rounds */
	u_int pushed;
	/** IKE_SAs not pushed as charon holds them, in all rounds */
	u_int held;
	/** IKE_SAs dropped for want of a config, in all rounds */
	u_int dropped;
	/** entries found without config since one was last done with */
	u_int unconfigured;
	/** entries left after the last round */
	u_int left;
	/** checked whether charon runs in an HA cluster */
	bool cluster_checked;
} push_t;

/*
 * Described in header
 */
u_int qcd_push_half_open_default()
{
	u_int value = QCD_PUSH_HALF_OPEN, cookies = 0, limit;

	if (lib->settings->get_bool(lib->settings, "%s.dos_protection", TRUE,
								lib->ns))
	{
		cookies = lib->settings->get_int(lib->settings,
							"%s.cookie_threshold", value, lib->ns);
	}
	limit = lib->settings->get_int(lib->settings,
							"%s.init_limit_half_open", 0, lib->ns);
	if (cookies > 0 && cookies < value)
	{
		value = cookies;
	}
	if (limit > 0 && limit < value)
	{
		value = limit;
	}
	return value;
}

/**
 * Pushes the gateway can take in this round: each makes a peer set up an
 * IKE_SA with us, half-open until its IKE_AUTH is done.  A burst larger
 * than the gateway works off overflows its socket's receive buffer, and the
 * peers whose requests are lost wait for their retransmission (4 s)
 */
static u_int half_open_room(push_t *this)
{
	u_int busy;

	if (!this->half_open)
	{
		return UINT_MAX;
	}
	busy = charon->ike_sa_manager->get_half_open_count(
								charon->ike_sa_manager, NULL, TRUE);
	return busy < this->half_open ? this->half_open - busy : 0;
}

/**
 * Whether charon holds an IKE_SA with the entry's SPIs, in any state: the
 * HA plugin installs those its partner holds as PASSIVE, and no token may
 * leave for them (R9.2-1).  The responder checks our own table of IKE_SAs
 * as well; this check, by charon's, also keeps them out of the count of
 * pushes
 */
static bool held(qcd_journal_entry_t *entry)
{
	ike_sa_id_t *id;
	ike_sa_t *ike_sa;

	id = ike_sa_id_create(IKEV2_MAJOR_VERSION, entry->spi_i, entry->spi_r,
						  entry->initiator);
	ike_sa = charon->ike_sa_manager->checkout(charon->ike_sa_manager, id);
	id->destroy(id);
	if (!ike_sa)
	{
		return FALSE;
	}
	DBG2(DBG_NET, "qcd: not pushing for the IKE_SA with %#H, charon holds it "
		 "(%N)", entry->remote, ike_sa_state_names, ike_sa->get_state(ike_sa));
	charon->ike_sa_manager->checkin(charon->ike_sa_manager, ike_sa);
	return TRUE;
}

/**
 * Offer one entry to the responder.  Entries whose peer has no config yet
 * are kept for a later round until the deadline, checked here, so that a
 * long round drops none that has one
 */
static bool push_one(push_t *this, qcd_journal_entry_t *entry)
{
	this->offered++;
	if (held(entry))
	{
		this->held++;
	}
	else if (this->responder->push(this->responder, entry))
	{
		this->pushed++;
	}
	else if (qcd_bucket_now() >= this->deadline)
	{
		this->dropped++;
	}
	else
	{
		this->unconfigured++;
		return FALSE;
	}
	this->unconfigured = 0;
	return TRUE;
}

/**
 * One round of pushes
 */
static job_requeue_t push_job(push_t *this)
{
	uint64_t now = qcd_bucket_now();
	u_int budget = QCD_PUSH_ROUND, left, wait;

	if (!this->cluster_checked)
	{	/* once all plugins are loaded */
		this->cluster_checked = TRUE;
		wait = qcd_responder_cluster_wait(TRUE);
		if (wait)
		{
			DBG1(DBG_NET, "qcd: HA plugin loaded, pushing in %u ms, after "
				 "the partner's resync", wait);
			this->deadline += wait;
			return JOB_RESCHEDULE_MS(wait);
		}
	}

	if (this->rate)
	{
		qcd_bucket_refill(&this->bucket, this->rate,
						  max(this->rate * QCD_PUSH_TICK / 1000, 1), now);
		budget = this->bucket.tokens / 1000;
	}
	budget = min(budget, half_open_room(this));
	if (now >= this->deadline && this->unconfigured >= this->left)
	{	/* every entry left had no config when last offered: drop them all
		 * at once, not one per offer */
		this->dropped += this->journal->forget_inherited(this->journal);
		left = 0;
	}
	else
	{	/* every entry costs, pushed or not: a round asks the backends for
		 * the configs of at most that many peers */
		this->offered = 0;
		left = this->journal->push(this->journal, (void*)push_one, this,
								   budget);
		if (this->rate)
		{
			this->bucket.tokens -= min(this->bucket.tokens,
									   (uint64_t)this->offered * 1000);
		}
		this->left = left;
	}
	if (left)
	{
		return JOB_RESCHEDULE_MS(QCD_PUSH_TICK);
	}
	if (this->pushed)
	{
		DBG1(DBG_NET, "qcd: pushed %u journaled IKE_SA(s) to their peers "
			 "in %ums", this->pushed, (u_int)(now - this->start));
	}
	if (this->held)
	{	/* e.g. all of them, when we rejoin an HA partner that took them
		 * over while we were down */
		DBG1(DBG_NET, "qcd: not pushing for %u journaled IKE_SA(s) charon "
			 "holds (the HA plugin synced them from its partner)", this->held);
	}
	if (this->dropped)
	{
		DBG1(DBG_NET, "qcd: push timeout, no config loaded for the peers of "
			 "%u journaled IKE_SA(s); they detect the restart at their next "
			 "DPD", this->dropped);
	}
	return JOB_REQUEUE_NONE;
}

/*
 * Described in header
 */
void qcd_push_start(qcd_journal_t *journal, qcd_responder_t *responder,
					u_int rate, u_int half_open, u_int timeout)
{
	push_t *this;

	INIT(this,
		.journal = journal,
		.responder = responder,
		.rate = rate,
		.half_open = half_open,
		.start = qcd_bucket_now(),
		.left = UINT_MAX,
	);
	this->deadline = this->start + timeout * 1000ULL;
	lib->processor->queue_job(lib->processor, (job_t*)callback_job_create(
						(callback_job_cb_t)push_job, this, free, NULL));
}
