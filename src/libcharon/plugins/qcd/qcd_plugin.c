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

#include "qcd_plugin.h"
#include "qcd_compat.h"
#include "qcd_connect_manager.h"
#include "qcd_counters.h"
#ifdef QCD_INIT_RACE
#include "qcd_init_race.h"
#endif
#include "qcd_journal.h"
#include "qcd_listener.h"
#include "qcd_push.h"
#include "qcd_limiter.h"
#include "qcd_responder.h"
#include "qcd_secret.h"
#include "qcd_status.h"
#include "qcd_store.h"
#include "qcd_token.h"
#include "qcd_verifier.h"

#include <daemon.h>
#include <processing/jobs/callback_job.h>

/** Default location of the secret, outside of what swanctl loads */
#define DEFAULT_SECRET_FILE "/var/lib/strongswan/qcd.secret"

/** Default location of the journal: Debian's AppArmor profiles for charon
 * allow writing /run/charon.* only; it outlives a restart of charon, not a
 * reboot */
#define DEFAULT_JOURNAL_FILE "/run/charon.qcd-journal"

typedef struct private_qcd_plugin_t private_qcd_plugin_t;

/**
 * Private data of the qcd plugin.
 */
struct private_qcd_plugin_t {

	/**
	 * Implements plugin interface.
	 */
	qcd_plugin_t public;

	/**
	 * Per-IKE_SA data, both roles
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
	 * IKE_SAs to push to after a crash, maker only, NULL if push is off
	 */
	qcd_journal_t *journal;

	/**
	 * Bus hooks
	 */
	qcd_listener_t *listener;

#ifdef QCD_INIT_RACE
	/**
	 * IKE_SA_INIT responses that beat their IKE_SA, taker only
	 */
	qcd_init_race_t *init_race;
#endif

	/**
	 * Event counters, both roles
	 */
	qcd_counters_t *counters;

	/**
	 * Status socket, NULL if none
	 */
	qcd_status_t *status;
};

METHOD(plugin_t, get_name, char*,
	private_qcd_plugin_t *this)
{
	return "qcd";
}

/**
 * (Re-)load the secret into the token generator.  A refused or missing file
 * keeps the secret we had, if any, so tokens already given out stay valid:
 * a missing file is only created while we hold no secret, i.e. when no
 * token can have been given out yet.
 */
static bool load_secret(private_qcd_plugin_t *this)
{
	qcd_secret_t *secret;
	char *path;
	bool ok;

	path = lib->settings->get_str(lib->settings, "%s.plugins.qcd.secret_file",
								  DEFAULT_SECRET_FILE, lib->ns);
	secret = qcd_secret_load(path, !this->token->get_count(this->token));
	if (!secret)
	{
		DBG1(DBG_CFG, "qcd: %s", this->token->get_count(this->token) ?
			 "keeping the previous secret" :
			 "token maker disabled until the secret file is fixed, token "
			 "taker unaffected");
		return FALSE;
	}
	ok = this->token->set_secret(this->token, secret);
	if (ok)
	{
		DBG1(DBG_CFG, "qcd: token maker uses secret file '%s' (fingerprint %s, "
			 "%d generation(s))", path, secret->get_fingerprint(secret),
			 secret->get_count(secret));
	}
	secret->destroy(secret);
	return ok;
}

/**
 * Register or unregister the listener
 */
static bool register_cb(private_qcd_plugin_t *this, plugin_feature_t *feature,
						bool reg, void *data)
{
	u_int dropped;

	if (reg)
	{
		if (this->token)
		{
			load_secret(this);
		}
		if (this->journal && !this->token->get_count(this->token))
		{	/* nothing to push without tokens */
			dropped = this->journal->forget_inherited(this->journal);
			if (dropped)
			{
				DBG1(DBG_CFG, "qcd: no secret, not pushing to the peers of %u "
					 "journaled IKE_SA(s)", dropped);
			}
		}
		else if (this->journal)
		{	/* before any IKE_SA is up; waits for the peers' configs */
			/* bounded, so that rate * QCD_PUSH_TICK can't overflow */
			qcd_push_start(this->journal, this->responder,
				min(qcd_limiter_get_option("push_rate", 1000),
					QCD_PUSH_RATE_MAX),
				qcd_limiter_get_option("push_half_open",
									   qcd_push_half_open_default()),
				lib->settings->get_time(lib->settings,
						"%s.plugins.qcd.push_timeout", 60, lib->ns));
		}
		charon->bus->add_listener(charon->bus, &this->listener->listener);
#ifdef QCD_INIT_RACE
		if (this->init_race)
		{
			charon->bus->add_listener(charon->bus,
									  &this->init_race->listener);
		}
#endif
		/* without it, only the status view is missing */
		this->status = qcd_status_create(this->store, this->counters,
						this->token, this->journal, this->verifier != NULL,
						lib->settings->get_str(lib->settings,
								"%s.plugins.qcd.socket", QCD_STATUS_SOCKET,
								lib->ns));
#ifdef ME
		if (this->verifier)
		{	/* charon creates its connect_manager after loading plugins */
			lib->processor->queue_job(lib->processor,
				(job_t*)callback_job_create(
						(callback_job_cb_t)qcd_connect_manager_install,
						this->verifier, NULL, NULL));
		}
#endif /* ME */
	}
	else
	{
		DESTROY_IF(this->status);
		this->status = NULL;
		charon->bus->remove_listener(charon->bus, &this->listener->listener);
#ifdef QCD_INIT_RACE
		if (this->init_race)
		{
			charon->bus->remove_listener(charon->bus,
										 &this->init_race->listener);
		}
#endif
	}
	return TRUE;
}

METHOD(plugin_t, get_features, int,
	private_qcd_plugin_t *this, plugin_feature_t *features[])
{
	static plugin_feature_t f[] = {
		PLUGIN_CALLBACK((plugin_feature_callback_t)register_cb, NULL),
			PLUGIN_PROVIDE(CUSTOM, "qcd"),
				/* soft: without them only the maker is off */
				PLUGIN_SDEPEND(PRF, PRF_HMAC_SHA2_256),
				PLUGIN_SDEPEND(RNG, RNG_TRUE),
				PLUGIN_SDEPEND(HASHER, HASH_SHA256),
	};
	*features = f;
	return countof(f);
}

METHOD(plugin_t, reload, bool,
	private_qcd_plugin_t *this)
{
	return this->token ? load_secret(this) : TRUE;
}

METHOD(plugin_t, destroy, void,
	private_qcd_plugin_t *this)
{
	DESTROY_IF(this->status);
	this->listener->destroy(this->listener);
#ifdef QCD_INIT_RACE
	DESTROY_IF(this->init_race);
#endif
	DESTROY_IF(this->journal);
	DESTROY_IF(this->responder);
	DESTROY_IF(this->verifier);
	DESTROY_IF(this->token);
	this->store->destroy(this->store);
	this->counters->destroy(this->counters);
	free(this);
}

/*
 * Described in header
 */
QCD_PLUGIN_CREATE
{
	private_qcd_plugin_t *this;
	qcd_method_t method = QCD_METHOD_SPI;
	char *name;

	if (!qcd_compat_check())
	{
		return NULL;
	}
	INIT(this,
		.public = {
			.plugin = {
				.get_name = _get_name,
				.get_features = _get_features,
				.reload = _reload,
				.destroy = _destroy,
			},
		},
		.store = qcd_store_create(lib->settings->get_int(lib->settings,
								"%s.plugins.qcd.max_tokens", 100000, lib->ns)),
		.counters = qcd_counters_create(),
	);

	/* R8.1-6: each role can be switched off */
	if (lib->settings->get_bool(lib->settings, "%s.plugins.qcd.token_maker",
								TRUE, lib->ns))
	{
		name = lib->settings->get_str(lib->settings, "%s.plugins.qcd.method",
									  "spi", lib->ns);
		if (!enum_from_name(qcd_method_names, name, &method))
		{
			DBG1(DBG_CFG, "qcd: unknown method '%s', use 'spi' or 'address'; "
				 "using 'spi'", name);
		}
		this->token = qcd_token_create(method);
		this->responder = qcd_responder_create(this->token, this->store,
											   this->counters);
		if (lib->settings->get_bool(lib->settings, "%s.plugins.qcd.push",
									TRUE, lib->ns))
		{
			this->journal = qcd_journal_create(
				lib->settings->get_str(lib->settings,
						"%s.plugins.qcd.journal_file", DEFAULT_JOURNAL_FILE,
						lib->ns),
				/* 0 is no write job at all, here it means at once */
				max(qcd_limiter_get_option("journal_delay", 50), 1));
		}
	}
	if (lib->settings->get_bool(lib->settings, "%s.plugins.qcd.token_taker",
								TRUE, lib->ns))
	{
		this->verifier = qcd_verifier_create(this->store, this->counters);
#ifdef QCD_INIT_RACE
		/* the IKE_SAs it deletes are re-established at once */
		if (lib->settings->get_bool(lib->settings,
								"%s.plugins.qcd.init_race", TRUE, lib->ns))
		{
			this->init_race = qcd_init_race_create();
		}
#endif
	}
	this->listener = qcd_listener_create(this->store, this->token,
							this->responder, this->verifier, this->journal,
							this->counters);
	return &this->public.plugin;
}
