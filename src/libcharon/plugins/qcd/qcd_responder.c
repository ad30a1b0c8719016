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

#include "qcd_responder.h"
#include "qcd_limiter.h"
#include "qcd_reply.h"

#include <daemon.h>
#include <collections/hashtable.h>
#include <processing/jobs/callback_job.h>
#include <threading/mutex.h>

/** Seconds between summary log lines */
#define LOG_INTERVAL 10

typedef struct private_qcd_responder_t private_qcd_responder_t;

/**
 * Private data of a qcd_responder_t object.
 */
struct private_qcd_responder_t {

	/**
	 * Public interface.
	 */
	qcd_responder_t public;

	/**
	 * Token generator
	 */
	qcd_token_t *token;

	/**
	 * IKE_SAs we have
	 */
	qcd_store_t *store;

	/**
	 * Event counters, since charon started
	 */
	qcd_counters_t *counters;

	/**
	 * Reply limits
	 */
	qcd_limiter_t *limiter;

	/**
	 * Past the limits, send INVALID_IKE_SPI alone, within these limits,
	 * instead of nothing; NULL for nothing
	 */
	qcd_limiter_t *notify_limiter;

	/**
	 * Offer tokens only until this time, 0 for always
	 */
	time_t window_end;

	/**
	 * Monotonic time in ms of the start, and from when on we answer, 0
	 * until known
	 */
	uint64_t start, synced;

	/**
	 * Replies with tokens, replies without, dropped requests, requests for
	 * live SAs and from peers without a config, since the last log
	 */
	u_int tokens, notifies, dropped, live, unconfigured;

	/**
	 * IKE_SAs we pushed for, spis_t => pushed_t, see push()
	 */
	hashtable_t *pushed;

	/**
	 * A job to expire pushed is scheduled
	 */
	bool purging;

	/**
	 * Start of the period the counters above cover: the last summary, or
	 * the start
	 */
	time_t last_log;

	/**
	 * A summary was logged since the start
	 */
	bool logged;

	/**
	 * A job to log the summary of the current period is scheduled
	 */
	bool summary_due;

	/**
	 * Protects the counters and pushed
	 */
	mutex_t *mutex;
};

/**
 * Log the summary of the requests handled since the last one, the caller
 * holds the lock
 */
static void log_summary(private_qcd_responder_t *this, time_t now)
{
	DBG1(DBG_NET, "qcd: requests for unknown IKE_SAs in the last %ds: "
		 "%u answered with tokens, %u with INVALID_IKE_SPI only, "
		 "%u dropped over the limits, %u ignored for live IKE_SAs, "
		 "%u ignored without a config for the peer",
		 (int)max(now - this->last_log, 1), this->tokens, this->notifies,
		 this->dropped, this->live, this->unconfigured);
	this->tokens = this->notifies = this->dropped = this->live = 0;
	this->unconfigured = 0;
	this->last_log = now;
	this->logged = TRUE;
}

/**
 * Log the summary of requests that came after the last one, from a job
 */
static job_requeue_t flush_summary(private_qcd_responder_t *this)
{
	this->mutex->lock(this->mutex);
	this->summary_due = FALSE;
	if (this->tokens || this->notifies || this->dropped || this->live ||
		this->unconfigured)
	{
		log_summary(this, time_monotonic(NULL));
	}
	this->mutex->unlock(this->mutex);
	return JOB_REQUEUE_NONE;
}

/**
 * Count a handled request.  The first one since the start is logged at
 * once, e.g. the first reply after a restart, the rest in a summary at most
 * every LOG_INTERVAL, and at most LOG_INTERVAL after they happened.
 */
static void count(private_qcd_responder_t *this, u_int *counter,
				  qcd_counter_t total)
{
	time_t now = time_monotonic(NULL);

	this->counters->inc(this->counters, total);
	this->mutex->lock(this->mutex);
	(*counter)++;
	if (!this->logged || now - this->last_log >= LOG_INTERVAL)
	{
		log_summary(this, now);
	}
	else if (!this->summary_due)
	{	/* the scheduler is flushed before plugins are unloaded */
		this->summary_due = TRUE;
		lib->scheduler->schedule_job(lib->scheduler, (job_t*)
					callback_job_create((callback_job_cb_t)flush_summary,
										this, NULL, NULL),
					max(this->last_log + LOG_INTERVAL - now, 1));
	}
	this->mutex->unlock(this->mutex);
}

/**
 * A push the peer may check outside the limits
 */
typedef struct {
	/** SPIs of the IKE_SA, network order, the hash table key */
	struct {
		uint64_t i;
		uint64_t r;
	} spis;
	/** until this monotonic time */
	time_t expires;
	/** from this address */
	host_t *peer;
} pushed_t;

/**
 * Destroy a pushed_t
 */
static void pushed_destroy(pushed_t *this)
{
	this->peer->destroy(this->peer);
	free(this);
}

/**
 * Hash SPIs
 */
static u_int hash_spis(pushed_t *key)
{
	return chunk_hash(chunk_from_thing(key->spis));
}

/**
 * Compare SPIs
 */
static bool equals_spis(pushed_t *a, pushed_t *b)
{
	return a->spis.i == b->spis.i && a->spis.r == b->spis.r;
}

/**
 * Whether we pushed for these SPIs to this address lately; a match, or an
 * expired push, is forgotten, so each push exempts one request from the
 * limits, and requests from elsewhere can't use it up
 */
static bool was_pushed(private_qcd_responder_t *this, uint64_t spi_i,
					   uint64_t spi_r, host_t *src)
{
	pushed_t key = { .spis = { .i = spi_i, .r = spi_r } }, *pushed;
	bool expired, found = FALSE;

	this->mutex->lock(this->mutex);
	pushed = this->pushed->get(this->pushed, &key);
	if (pushed)
	{
		expired = time_monotonic(NULL) > pushed->expires;
		found = !expired && src->ip_equals(src, pushed->peer);
		if (found || expired)
		{
			this->pushed->remove(this->pushed, &key);
			pushed_destroy(pushed);
		}
	}
	this->mutex->unlock(this->mutex);
	return found;
}

/**
 * Expire pushes that no request came for, from a job that runs while there
 * are any: peers that never ask would otherwise keep them forever
 */
static job_requeue_t purge_pushed(private_qcd_responder_t *this)
{
	enumerator_t *enumerator;
	pushed_t *pushed;
	time_t now = time_monotonic(NULL);
	bool left;

	this->mutex->lock(this->mutex);
	enumerator = this->pushed->create_enumerator(this->pushed);
	while (enumerator->enumerate(enumerator, NULL, &pushed))
	{
		if (now > pushed->expires)
		{
			this->pushed->remove_at(this->pushed, enumerator);
			pushed_destroy(pushed);
		}
	}
	enumerator->destroy(enumerator);
	left = this->pushed->get_count(this->pushed) > 0;
	this->purging = left;
	this->mutex->unlock(this->mutex);
	return left ? JOB_RESCHEDULE(QCD_PUSH_EXPECT) : JOB_REQUEUE_NONE;
}

/**
 * Compute one token per generation into the reply, returns the count
 */
static int add_tokens(private_qcd_responder_t *this, qcd_reply_t *reply,
					  ike_sa_id_t *id, host_t *taker,
					  u_char tokens[QCD_SECRET_GENERATIONS][QCD_TOKEN_LEN])
{
	int i, count = this->token->get_count(this->token);

	for (i = 0; i < count; i++)
	{
		if (!this->token->compute(this->token, i, id, taker, tokens[i]))
		{
			break;
		}
		reply->tokens[i] = chunk_create(tokens[i], QCD_TOKEN_LEN);
	}
	reply->count = i;
	return i;
}

/**
 * Encode a reply, wipe the tokens, and send it
 */
static void send_reply(qcd_reply_t *reply,
					   u_char tokens[QCD_SECRET_GENERATIONS][QCD_TOKEN_LEN],
					   host_t *src, host_t *dst)
{
	u_char buf[QCD_REPLY_MAX_LEN];
	size_t len;

	len = qcd_reply_encode(reply, buf);
	memwipe(tokens, QCD_SECRET_GENERATIONS * QCD_TOKEN_LEN);
	charon->sender->send(charon->sender,
					packet_create_from_data(src->clone(src), dst->clone(dst),
									chunk_clone(chunk_create(buf, len))));
	memwipe(buf, len);
}

/*
 * Described in header
 */
u_int qcd_responder_cluster_wait(bool push)
{
	u_int delay, timeout;

	if (!lib->plugins->has_feature(lib->plugins, PLUGIN_PROVIDE(CUSTOM, "ha")))
	{
		return 0;
	}
	delay = lib->settings->get_int(lib->settings,
						"%s.plugins.ha.heartbeat_delay", 1000, lib->ns);
	timeout = lib->settings->get_int(lib->settings,
						"%s.plugins.ha.heartbeat_timeout", 2100, lib->ns);
	/* the resync is asked for after a heartbeat and sent at once: answers
	 * wait one more.  The push waits until a silent partner is declared
	 * dead, later, so that the partner's answers to the peers' checks
	 * after our push are not held back if it started somewhat later */
	return push ? delay + timeout : 2 * delay;
}

/**
 * Whether an HA partner had the time to sync the IKE_SAs it holds to us
 * since the start: before, an IKE_SA unknown here may be alive there
 * (R9.2-1).  Known once all plugins are loaded: at the first request
 */
static bool synced(private_qcd_responder_t *this)
{
	uint64_t synced;

	this->mutex->lock(this->mutex);
	if (!this->synced)
	{
		this->synced = this->start + qcd_responder_cluster_wait(FALSE);
	}
	synced = this->synced;
	this->mutex->unlock(this->mutex);
	return qcd_bucket_now() >= synced;
}

/**
 * Whether we have an IKEv2 config for a peer, i.e. could have had an IKE_SA
 * with it.  Right after a restart, the configs may not be loaded yet: a
 * peer told that its IKE_SA is lost would re-initiate at once and get
 * NO_PROPOSAL_CHOSEN; without a reply it retransmits and asks again later.
 */
static bool has_config(host_t *me, host_t *other)
{
	enumerator_t *enumerator;
	peer_cfg_t *peer_cfg;
	bool found;

	enumerator = charon->backends->create_peer_cfg_enumerator(charon->backends,
											me, other, NULL, NULL, IKEV2);
	found = enumerator->enumerate(enumerator, &peer_cfg);
	enumerator->destroy(enumerator);
	return found;
}

METHOD(qcd_responder_t, handle, void,
	private_qcd_responder_t *this, message_t *message)
{
	u_char tokens[QCD_SECRET_GENERATIONS][QCD_TOKEN_LEN];
	ike_sa_id_t *id;
	host_t *src, *dst;
	qcd_reply_t reply;
	payload_type_t first;

	first = message->get_first_payload_type(message);
	if (message->get_major_version(message) != IKEV2_MAJOR_VERSION ||
		!message->get_request(message) ||
		message->get_exchange_type(message) == IKE_SA_INIT ||
		(first != PLV2_ENCRYPTED && first != PLV2_FRAGMENT))
	{	/* only protected requests, never responses (R3-5, RFC 7296 2.21.4) */
		return;
	}
	id = message->get_ike_sa_id(message);
	src = message->get_source(message);
	dst = message->get_destination(message);
	if (!id->get_responder_spi(id) ||
		(this->window_end && time_monotonic(NULL) > this->window_end))
	{	/* no IKE_SA with a protected exchange lacks SPIr */
		return;
	}
	if (!synced(this) ||
		this->store->contains(this->store, id->get_initiator_spi(id),
							  id->get_responder_spi(id)))
	{	/* the IKE_SA exists, e.g. the request flipped the I flag, or may
		 * exist on our HA partner (R9.2-1) */
		count(this, &this->live, QCD_REQUESTS_LIVE);
		return;
	}

	/* the header is copied from the request (R4.5-4), as a response from
	 * the other role; the exchange type too, see qcd_reply_t */
	reply = (qcd_reply_t){
		.spi_i = id->get_initiator_spi(id),
		.spi_r = id->get_responder_spi(id),
		.exchange = message->get_exchange_type(message),
		.mid = message->get_message_id(message),
		.initiator = !id->is_initiator(id),
		.response = TRUE,
	};
	if (was_pushed(this, reply.spi_i, reply.spi_r, src))
	{	/* the peer we pushed to checks the SA, the push was limited */
		if (!add_tokens(this, &reply, id, src, tokens))
		{
			return;
		}
		count(this, &this->tokens, QCD_REPLIES_SENT);
	}
	else if (!this->limiter->allow(this->limiter, src))
	{	/* fall back to RFC 7296 2.21 (R8.1-4), which is rate limited too:
		 * each reply goes to a source address that anybody can forge */
		if (!this->notify_limiter ||
			!this->notify_limiter->allow(this->notify_limiter, src))
		{
			count(this, &this->dropped, QCD_REPLIES_DROPPED);
			return;
		}
		count(this, &this->notifies, QCD_REPLIES_NOTIFY);
	}
	else if (!has_config(dst, src))
	{
		count(this, &this->unconfigured, QCD_REQUESTS_UNCONFIGURED);
		return;
	}
	else if (!add_tokens(this, &reply, id, src, tokens))
	{
		return;
	}
	else
	{
		count(this, &this->tokens, QCD_REPLIES_SENT);
	}
	DBG2(DBG_NET, "qcd: answering %N request %u for unknown IKE_SA with %d "
		 "token(s), from %#H to %#H", exchange_type_names, reply.exchange,
		 reply.mid, reply.count, dst, src);
	send_reply(&reply, tokens, dst, src);
}

METHOD(qcd_responder_t, push, bool,
	private_qcd_responder_t *this, qcd_journal_entry_t *entry)
{
	u_char tokens[QCD_SECRET_GENERATIONS][QCD_TOKEN_LEN];
	ike_sa_id_t *id;
	qcd_reply_t reply = {
		.spi_i = entry->spi_i,
		.spi_r = entry->spi_r,
		.exchange = INFORMATIONAL,
		.mid = QCD_PUSH_MID,
		.initiator = entry->initiator,
		.response = TRUE,
	};
	pushed_t *pushed, *old;

	if (!has_config(entry->local, entry->remote))
	{
		return FALSE;
	}
	if (this->store->contains(this->store, entry->spi_i, entry->spi_r))
	{	/* R9.2-1, e.g. an HA partner took it over */
		return TRUE;
	}
	/* tokens are computed for the SA from the taker's point of view */
	id = ike_sa_id_create(IKEV2_MAJOR_VERSION, entry->spi_i, entry->spi_r,
						  !entry->initiator);
	if (add_tokens(this, &reply, id, entry->remote, tokens))
	{
		INIT(pushed,
			.spis = { .i = entry->spi_i, .r = entry->spi_r },
			.expires = time_monotonic(NULL) + QCD_PUSH_EXPECT,
			.peer = entry->remote->clone(entry->remote),
		);
		this->mutex->lock(this->mutex);
		old = this->pushed->put(this->pushed, pushed, pushed);
		if (!this->purging)
		{	/* the scheduler is flushed before plugins are unloaded */
			this->purging = TRUE;
			lib->scheduler->schedule_job(lib->scheduler, (job_t*)
						callback_job_create((callback_job_cb_t)purge_pushed,
											this, NULL, NULL),
						QCD_PUSH_EXPECT + 1);
		}
		this->mutex->unlock(this->mutex);
		if (old)
		{	/* a journal lists each IKE_SA once, but a forged one may not */
			pushed_destroy(old);
		}
		DBG1(DBG_NET, "qcd: pushing %d token(s) for lost IKE_SA to %#H",
			 reply.count, entry->remote);
		send_reply(&reply, tokens, entry->local, entry->remote);
		this->counters->inc(this->counters, QCD_PUSHES_SENT);
	}
	id->destroy(id);
	return TRUE;
}

METHOD(qcd_responder_t, destroy, void,
	private_qcd_responder_t *this)
{
	enumerator_t *enumerator;
	pushed_t *pushed;

	enumerator = this->pushed->create_enumerator(this->pushed);
	while (enumerator->enumerate(enumerator, NULL, &pushed))
	{
		pushed_destroy(pushed);
	}
	enumerator->destroy(enumerator);
	this->pushed->destroy(this->pushed);
	this->limiter->destroy(this->limiter);
	DESTROY_IF(this->notify_limiter);
	this->mutex->destroy(this->mutex);
	free(this);
}

/*
 * Described in header
 */
qcd_responder_t *qcd_responder_create(qcd_token_t *token, qcd_store_t *store,
									  qcd_counters_t *counters)
{
	private_qcd_responder_t *this;
	char *over_limit;
	u_int window;

	over_limit = lib->settings->get_str(lib->settings,
					"%s.plugins.qcd.reply_over_limit", "drop", lib->ns);
	window = lib->settings->get_time(lib->settings,
					"%s.plugins.qcd.reply_window", 0, lib->ns);

	INIT(this,
		.public = {
			.handle = _handle,
			.push = _push,
			.destroy = _destroy,
		},
		.token = token,
		.store = store,
		.counters = counters,
		.limiter = qcd_limiter_create_from_settings("reply"),
		/* the same limits again, so at most twice as many replies */
		.notify_limiter = streq(over_limit, "notify") ?
							qcd_limiter_create_from_settings("reply") : NULL,
		.window_end = window ? time_monotonic(NULL) + window : 0,
		.start = qcd_bucket_now(),
		.last_log = time_monotonic(NULL),
		.pushed = hashtable_create((hashtable_hash_t)hash_spis,
								   (hashtable_equals_t)equals_spis, 32),
		.mutex = mutex_create(MUTEX_TYPE_DEFAULT),
	);
	if (!streq(over_limit, "notify") && !streq(over_limit, "drop"))
	{
		DBG1(DBG_CFG, "qcd: invalid reply_over_limit '%s', use 'drop' or "
			 "'notify'; using 'drop'", over_limit);
	}
	return &this->public;
}
