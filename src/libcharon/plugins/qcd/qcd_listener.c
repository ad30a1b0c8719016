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

#include "qcd_listener.h"
#include "qcd_compat.h"

#include <daemon.h>
#include <encoding/payloads/sa_payload.h>
#include <processing/jobs/initiate_tasks_job.h>
#include <sa/ikev2/tasks/ike_dpd.h>

typedef struct private_qcd_listener_t private_qcd_listener_t;

/**
 * Private data of a qcd_listener_t object.
 */
struct private_qcd_listener_t {

	/**
	 * Public interface.
	 */
	qcd_listener_t public;

	/**
	 * Per-IKE_SA data
	 */
	qcd_store_t *store;

	/**
	 * Token generator, maker only
	 */
	qcd_token_t *token;

	/**
	 * Unprotected replies, maker only
	 */
	qcd_responder_t *responder;

	/**
	 * Reply verification, taker only
	 */
	qcd_verifier_t *verifier;

	/**
	 * IKE_SAs we gave our token to, for push recovery; NULL if disabled
	 */
	qcd_journal_t *journal;

	/**
	 * Event counters
	 */
	qcd_counters_t *counters;
};

/**
 * Add our current token for the given SPIs to a message
 */
static void add_token(private_qcd_listener_t *this, ike_sa_t *ike_sa,
					  message_t *message, ike_sa_id_t *spis)
{
	u_char token[QCD_TOKEN_LEN];

	if (this->token->compute(this->token, 0, spis,
							 ike_sa->get_other_host(ike_sa), token))
	{
		/* protocol ID 0 (PROTO_NONE), erratum 3449, no SPI (R4.1-2) */
		message->add_notify(message, FALSE, QUICK_CRASH_DETECTION,
							chunk_create(token, sizeof(token)));
		memwipe(token, sizeof(token));
		this->store->given(this->store, spis);
		this->counters->inc(this->counters, QCD_TOKENS_SENT);
		DBG2(DBG_IKE, "qcd: sending our QCD token in %N %s %u",
			 exchange_type_names, message->get_exchange_type(message),
			 message->get_request(message) ? "request" : "response",
			 message->get_message_id(message));
	}
}

/**
 * Whether an outgoing IKE_AUTH message carries our token: the initiator's
 * first request (with IDi), the responder's final response (with AUTH,
 * after EAP if any) (R3-1, R4.2-1)
 */
static bool is_auth_token_message(message_t *message)
{
	if (message->get_request(message))
	{
		return message->get_payload(message, PLV2_ID_INITIATOR) != NULL;
	}
	return message->get_payload(message, PLV2_AUTH) &&
		  !message->get_payload(message, PLV2_EAP);
}

/**
 * Maker: add our token to outgoing protected messages that need one
 */
static void send_token(private_qcd_listener_t *this, ike_sa_t *ike_sa,
					   message_t *message)
{
	ike_sa_id_t *spis;
	uint64_t spi_i, spi_r;

	switch (message->get_exchange_type(message))
	{
		case IKE_AUTH:
			if (is_auth_token_message(message))
			{
				add_token(this, ike_sa, message, ike_sa->get_id(ike_sa));
			}
			break;
		case CREATE_CHILD_SA:
		case INFORMATIONAL:
			/* rekey response: token for the new SA (R4.3-2); first request
			 * on an SA whose rekey we initiated (R4.3-3) */
			if (this->store->take_owed(this->store, ike_sa->get_id(ike_sa),
					message->get_exchange_type(message) == CREATE_CHILD_SA &&
					!message->get_request(message), &spi_i, &spi_r))
			{
				spis = ike_sa_id_create(IKEV2_MAJOR_VERSION, spi_i, spi_r,
										TRUE);
				add_token(this, ike_sa, message, spis);
				spis->destroy(spis);
			}
			break;
		default:
			break;
	}
}

/**
 * Whether a message is the response to an IKE rekey, with an SA payload
 * that proposes an IKE_SA
 */
static bool is_ike_rekey_response(message_t *message)
{
	sa_payload_t *sa;
	linked_list_t *proposals;
	proposal_t *proposal;
	bool ike = FALSE;

	if (message->get_exchange_type(message) != CREATE_CHILD_SA ||
		message->get_request(message))
	{
		return FALSE;
	}
	sa = (sa_payload_t*)message->get_payload(message,
											 PLV2_SECURITY_ASSOCIATION);
	if (sa)
	{
		proposals = sa->get_proposals(sa);
		if (proposals->get_first(proposals, (void**)&proposal) == SUCCESS)
		{
			ike = proposal->get_protocol(proposal) == PROTO_IKE;
		}
		proposals->destroy_offset(proposals, offsetof(proposal_t, destroy));
	}
	return ike;
}

/**
 * Taker: store a token the peer sent in a protected message (R3-3, R4.4-2).
 * It becomes usable once the peer is authenticated, and a token in an IKE
 * rekey response only for the new SA, see qcd_store_t.
 */
static void take_token(private_qcd_listener_t *this, ike_sa_t *ike_sa,
					   message_t *message)
{
	notify_payload_t *notify;
	qcd_token_use_t use;
	chunk_t token;

	notify = message->get_notify(message, QUICK_CRASH_DETECTION);
	if (!notify)
	{
		return;
	}
	token = notify->get_notification_data(notify);
	if (token.len < QCD_TOKEN_MIN || token.len > QCD_TOKEN_MAX)
	{
		DBG1(DBG_IKE, "qcd: ignoring QCD token of %zu bytes from %H, valid "
			 "tokens have %d to %d", token.len, ike_sa->get_other_host(ike_sa),
			 QCD_TOKEN_MIN, QCD_TOKEN_MAX);
		this->counters->inc(this->counters, QCD_TOKENS_NOT_STORED);
		return;
	}
	if (is_ike_rekey_response(message))
	{	/* for the new SA (R4.3-2) */
		use = QCD_TOKEN_FOR_REKEY;
	}
	else if (ike_sa->get_state(ike_sa) == IKE_CREATED ||
			 ike_sa->get_state(ike_sa) == IKE_CONNECTING)
	{	/* not authenticated yet */
		use = QCD_TOKEN_AFTER_AUTH;
	}
	else
	{	/* any other protected message on the SA, e.g. a CHILD_SA's
		 * CREATE_CHILD_SA, carries a token for its SPIs (R4.4-2) */
		use = QCD_TOKEN_USABLE;
	}
	if (this->store->set_token(this->store, ike_sa->get_id(ike_sa), token,
							   use))
	{
		this->counters->inc(this->counters, QCD_TOKENS_STORED);
		DBG2(DBG_IKE, "qcd: stored the peer's QCD token (%zu bytes)%s",
			 token.len, use == QCD_TOKEN_USABLE ? "" :
			 use == QCD_TOKEN_FOR_REKEY ? ", for the new IKE_SA" :
			 ", usable once the IKE_SA is up");
	}
	else
	{
		DBG1(DBG_IKE, "qcd: not storing the peer's QCD token, max_tokens "
			 "reached or IKE_SA unknown");
		this->counters->inc(this->counters, QCD_TOKENS_NOT_STORED);
	}
}

/**
 * Keep a copy of our outgoing protected request, once encrypted, to send
 * once more on a nudge, see qcd_verifier.c
 */
static void keep_request(private_qcd_listener_t *this, ike_sa_t *ike_sa,
						 message_t *message)
{
	enumerator_t *enumerator;
	packet_t *fragment;
	bool fragmented;

	if (!this->verifier || !message->is_encoded(message))
	{
		return;
	}
	enumerator = message->get_fragments(message);
	fragmented = enumerator->enumerate(enumerator, &fragment);
	enumerator->destroy(enumerator);
	if (!fragmented)
	{
		this->store->set_packet(this->store, ike_sa->get_id(ike_sa),
								message->get_message_id(message),
								message->get_packet_data(message));
	}
}

/**
 * Log what QCD does for an IKE_SA that IKE_AUTH established, at the level of
 * charon's other lines about it: whether we gave the peer our token, and
 * whether we hold the peer's.  One line per IKE_SA, never a token.
 */
static void log_established(private_qcd_listener_t *this, ike_sa_t *ike_sa)
{
#if DEBUG_LEVEL >= 1
	qcd_store_info_t info = {};
	char *ours, *theirs;

	this->store->get_info(this->store, ike_sa->get_unique_id(ike_sa), &info);
	if (!this->token)
	{
		ours = "token maker off";
	}
	else if (info.given)
	{
		ours = "gave our token";
	}
	else if (!this->token->get_count(this->token))
	{
		ours = "gave no token (no secret)";
	}
	else
	{
		ours = "gave no token";
	}
	if (!this->verifier)
	{
		theirs = "token taker off";
	}
	else if (info.token)
	{
		theirs = "stored the peer's";
	}
	else if (info.full)
	{
		theirs = "the peer's not stored (max_tokens reached)";
	}
	else
	{
		theirs = "the peer sent none";
	}
	DBG1(DBG_IKE, "qcd: IKE_SA %s[%u] with %H: %s, %s",
		 ike_sa->get_name(ike_sa), ike_sa->get_unique_id(ike_sa),
		 ike_sa->get_other_host(ike_sa), ours, theirs);
#endif /* DEBUG_LEVEL */
}

/**
 * Whether an outgoing message is the IKE_AUTH response that establishes the
 * IKE_SA, in which the responder gives its token (R3-1): charon sets the
 * state before it generates it
 */
static bool is_establishing_response(ike_sa_t *ike_sa, message_t *message)
{
	return message->get_exchange_type(message) == IKE_AUTH &&
		   !message->get_request(message) &&
		   ike_sa->get_state(ike_sa) == IKE_ESTABLISHED &&
		   is_auth_token_message(message);
}

METHOD(listener_t, message_hook, bool,
	private_qcd_listener_t *this, ike_sa_t *ike_sa, message_t *message,
	bool incoming, bool plain)
{
	if (message->get_major_version(message) != IKEV2_MAJOR_VERSION)
	{
		return TRUE;
	}
	if (incoming && !plain)
	{	/* unprotected replies of any exchange type but, on ME builds,
		 * INFORMATIONAL, which the connect_manager decorator gets */
		if (this->verifier &&
			message->get_first_payload_type(message) != PLV2_ENCRYPTED &&
			message->get_first_payload_type(message) != PLV2_FRAGMENT)
		{
			this->verifier->process(this->verifier, message);
		}
	}
	else if (!incoming && !plain && message->get_request(message) &&
			 message->get_exchange_type(message) != IKE_SA_INIT)
	{	/* our protected request as sent, for the nudge: unfragmented only,
		 * charon would retransmit the fragments */
		keep_request(this, ike_sa, message);
	}
	else if (plain && message->get_exchange_type(message) != IKE_SA_INIT)
	{	/* only protected messages */
		if (incoming)
		{
			if (!message->get_request(message))
			{
				this->store->answered(this->store, ike_sa->get_id(ike_sa),
									  message->get_message_id(message));
			}
			if (this->verifier)
			{
				take_token(this, ike_sa, message);
			}
		}
		else
		{
			if (message->get_request(message))
			{
				this->store->set_request(this->store, ike_sa->get_id(ike_sa),
										 message->get_message_id(message),
										 message->get_exchange_type(message));
			}
			if (this->token)
			{
				send_token(this, ike_sa, message);
			}
			if (is_establishing_response(ike_sa, message))
			{	/* responder, our token is in (or missing from) this one */
				log_established(this, ike_sa);
			}
		}
	}
	return TRUE;
}

METHOD(listener_t, alert, bool,
	private_qcd_listener_t *this, ike_sa_t *ike_sa, alert_t alert,
	va_list args)
{
	if (alert == ALERT_INVALID_IKE_SPI && this->responder)
	{
		this->responder->handle(this->responder, va_arg(args, message_t*));
	}
	return TRUE;
}

/**
 * Log the size of the store, at the level of IKE_SA setup details
 */
static void log_count(private_qcd_listener_t *this)
{
#if DEBUG_LEVEL >= 2
	u_int sas, tokens;

	sas = this->store->get_count(this->store, &tokens);
	DBG2(DBG_IKE, "qcd: %u IKE_SA(s) tracked, %u with the peer's token",
		 sas, tokens);
#endif /* DEBUG_LEVEL */
}

METHOD(listener_t, ike_keys, bool,
	private_qcd_listener_t *this, ike_sa_t *ike_sa, qcd_ike_keys_t *kes,
	chunk_t dh_other, chunk_t nonce_i, chunk_t nonce_r, ike_sa_t *rekey,
	shared_key_t *shared, auth_method_t method)
{
	/* both SPIs are known once keys are derived, and protected requests
	 * are possible from now on; 6.x raises this once per key exchange,
	 * adding the SA again changes nothing */
	if (ike_sa->get_version(ike_sa) == IKEV2)
	{
		this->store->add(this->store, ike_sa->get_id(ike_sa),
						 ike_sa->get_unique_id(ike_sa));
		log_count(this);
	}
	return TRUE;
}

/**
 * Send our token for an SA in an INFORMATIONAL request on it
 */
static void queue_token(private_qcd_listener_t *this, ike_sa_t *ike_sa)
{
	ike_sa->queue_task(ike_sa, (task_t*)ike_dpd_create(TRUE));
}

METHOD(listener_t, ike_rekey, bool,
	private_qcd_listener_t *this, ike_sa_t *old, ike_sa_t *new)
{
	ike_sa_id_t *id = new->get_id(new);

	if (new->get_version(new) != IKEV2)
	{
		return TRUE;
	}
	/* the rekey initiator is the original initiator of the new SA */
	this->store->rekey(this->store, old->get_id(old), id,
					   new->get_unique_id(new), id->is_initiator(id),
					   this->token != NULL);
	if (id->is_initiator(id) && this->token)
	{	/* send our token for the new SPIs in an INFORMATIONAL (R4.3-3),
		 * ike_rekey initiates tasks queued on the new SA right after */
		queue_token(this, new);
	}
	return TRUE;
}

METHOD(listener_t, ike_update, bool,
	private_qcd_listener_t *this, ike_sa_t *ike_sa, host_t *local,
	host_t *remote)
{
	host_t *old = ike_sa->get_other_host(ike_sa);

	if (this->journal)
	{	/* MOBIKE or NAT moved the SA, a push must go where the peer is */
		this->journal->update(this->journal, ike_sa->get_unique_id(ike_sa),
							  local, remote);
	}
	/* tokens of the address method change with the peer's address, send
	 * the new one on the SA (R4.4-1, R5.2-2) */
	if (this->token && ike_sa->get_version(ike_sa) == IKEV2 &&
		this->token->get_method(this->token) == QCD_METHOD_ADDRESS &&
		ike_sa->get_state(ike_sa) == IKE_ESTABLISHED &&
		!remote->ip_equals(remote, old))
	{
		this->store->owe(this->store, ike_sa->get_id(ike_sa));
		queue_token(this, ike_sa);
		lib->processor->queue_job(lib->processor,
					(job_t*)initiate_tasks_job_create(ike_sa->get_id(ike_sa)));
	}
	return TRUE;
}

METHOD(listener_t, ike_state_change, bool,
	private_qcd_listener_t *this, ike_sa_t *ike_sa, ike_sa_state_t state)
{
	qcd_store_info_t info;
	ike_sa_id_t *id;
	bool authenticated;

	switch (state)
	{
		case IKE_ESTABLISHED:
			/* charon raises this before it sets the state: from
			 * CONNECTING, IKE_AUTH established the IKE_SA */
			id = ike_sa->get_id(ike_sa);
			authenticated = ike_sa->get_version(ike_sa) == IKEV2 &&
							ike_sa->get_state(ike_sa) == IKE_CONNECTING;
			/* the peer is authenticated, its token from IKE_AUTH counts */
			if (this->store->confirm(this->store, id))
			{
				log_count(this);
			}
			else if (authenticated &&
					 this->store->get_info(this->store,
							ike_sa->get_unique_id(ike_sa), &info) && info.full)
			{	/* max_tokens reached since it arrived; before IKE_AUTH is
				 * done, no other token can have found no room */
				this->counters->inc(this->counters, QCD_TOKENS_NOT_STORED);
			}
			/* as initiator we gave our token in IKE_AUTH's first request;
			 * the responder logs once its response is built, see
			 * message_hook() */
			if (authenticated && id->is_initiator(id))
			{
				log_established(this, ike_sa);
			}
			/* by now we gave the peer our token: in IKE_AUTH, or in the
			 * rekey of a new SA (R4.3-2) */
			if (this->journal && ike_sa->get_version(ike_sa) == IKEV2 &&
				this->token->get_count(this->token))
			{
				this->journal->add(this->journal, ike_sa);
			}
			break;
		case IKE_PASSIVE:
			/* the HA plugin installed an IKE_SA synced from its partner, or
			 * handed one of ours to it: alive in the cluster, so never a
			 * token for it, in a reply or a push (R9.2-1); it raises no
			 * ike_keys for synced IKE_SAs.  Not ours to push after a crash */
			if (ike_sa->get_version(ike_sa) == IKEV2)
			{
				this->store->add(this->store, ike_sa->get_id(ike_sa),
								 ike_sa->get_unique_id(ike_sa));
			}
			if (this->journal)
			{
				this->journal->remove(this->journal,
									  ike_sa->get_unique_id(ike_sa));
			}
			break;
		case IKE_DESTROYING:
			/* R5.3-1; by unique ID, whatever SPIs the SA had */
			this->store->remove(this->store, ike_sa->get_unique_id(ike_sa));
			if (this->journal)
			{
				this->journal->remove(this->journal,
									  ike_sa->get_unique_id(ike_sa));
			}
			log_count(this);
			break;
		default:
			break;
	}
	return TRUE;
}

METHOD(qcd_listener_t, destroy, void,
	private_qcd_listener_t *this)
{
	free(this);
}

/*
 * Described in header
 */
qcd_listener_t *qcd_listener_create(qcd_store_t *store, qcd_token_t *token,
									qcd_responder_t *responder,
									qcd_verifier_t *verifier,
									qcd_journal_t *journal,
									qcd_counters_t *counters)
{
	private_qcd_listener_t *this;

	INIT(this,
		.public = {
			.listener = {
				.message = _message_hook,
				.alert = _alert,
				.ike_keys = _ike_keys,
				.ike_rekey = _ike_rekey,
				.ike_update = _ike_update,
				.ike_state_change = _ike_state_change,
			},
			.destroy = _destroy,
		},
		.store = store,
		.token = token,
		.responder = responder,
		.verifier = verifier,
		.journal = journal,
		.counters = counters,
	);
	return &this->public;
}
