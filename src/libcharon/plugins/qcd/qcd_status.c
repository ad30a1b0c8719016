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

#include "qcd_status.h"

#include <errno.h>
#include <inttypes.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <daemon.h>
#include <collections/array.h>

/** Seconds a client may take to send its request, and to read each part of
 * the answer */
#define QCD_STATUS_TIMEOUT 5

typedef struct private_qcd_status_t private_qcd_status_t;

/**
 * Private data of a qcd_status_t object.
 */
struct private_qcd_status_t {

	/**
	 * Public interface.
	 */
	qcd_status_t public;

	/**
	 * Per-IKE_SA data
	 */
	qcd_store_t *store;

	/**
	 * Event counters
	 */
	qcd_counters_t *counters;

	/**
	 * Token generator, NULL if the maker is off
	 */
	qcd_token_t *token;

	/**
	 * Journal, NULL if push is off
	 */
	qcd_journal_t *journal;

	/**
	 * The taker role is on
	 */
	bool taker;

	/**
	 * Nudges are on
	 */
	bool nudge;

	/**
	 * Most tokens stored
	 */
	u_int max_tokens;

	/**
	 * Service accepting clients, NULL if none
	 */
	stream_service_t *service;
};

/**
 * What we print of an IKE_SA, copied from charon's
 */
typedef struct {
	/** name of its config */
	char *name;
	/** unique ID */
	u_int uid;
	/** state */
	ike_sa_state_t state;
	/** the peer's address */
	host_t *peer;
} sa_t;

/**
 * Destroy an sa_t
 */
static void sa_destroy(sa_t *this)
{
	free(this->name);
	this->peer->destroy(this->peer);
	free(this);
}

/**
 * Sort sa_t by unique ID
 */
static int sa_cmp(const void *a, const void *b, void *user)
{
	const sa_t *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/**
 * Copy a value for the protocol: spaces, '=' and control characters become
 * '?', so that a line splits into its pairs unambiguously
 */
static char *value(char *buf, size_t len, char *str)
{
	size_t i;

	for (i = 0; str[i] && i < len - 1; i++)
	{
		buf[i] = (u_char)str[i] <= ' ' || str[i] == '=' || str[i] == 0x7f ?
					'?' : str[i];
	}
	buf[i] = '\0';
	return buf;
}

/**
 * Copy the IKEv2 SAs from charon's IKE_SA manager, sorted by unique ID.
 * Like swanctl --list-sas, the enumerator waits for each IKE_SA that is
 * checked out, and holds its table segment while we copy it; nothing else
 * is done meanwhile.
 */
static array_t *collect_sas()
{
	enumerator_t *enumerator;
	ike_sa_t *ike_sa;
	array_t *sas;
	host_t *peer;
	sa_t *sa;

	sas = array_create(0, 0);
	if (!charon->ike_sa_manager)
	{	/* not up yet */
		return sas;
	}
	enumerator = charon->ike_sa_manager->create_enumerator(
												charon->ike_sa_manager, TRUE);
	while (enumerator->enumerate(enumerator, &ike_sa))
	{
		if (ike_sa->get_version(ike_sa) != IKEV2)
		{
			continue;
		}
		peer = ike_sa->get_other_host(ike_sa);
		INIT(sa,
			.name = strdup(ike_sa->get_name(ike_sa)),
			.uid = ike_sa->get_unique_id(ike_sa),
			.state = ike_sa->get_state(ike_sa),
			.peer = peer->clone(peer),
		);
		array_insert(sas, ARRAY_TAIL, sa);
	}
	enumerator->destroy(enumerator);
	array_sort(sas, sa_cmp, NULL);
	return sas;
}

/**
 * The peer_token value of an SA
 */
static char *peer_token(private_qcd_status_t *this, bool found,
						qcd_store_info_t *info)
{
	if (!this->taker)
	{
		return "off";
	}
	if (found && info->token)
	{
		return "held";
	}
	if (found && info->pending)
	{
		return "pending";
	}
	if (found && info->full)
	{
		return "full";
	}
	return "none";
}

/**
 * The our_token value of an SA
 */
static char *our_token(private_qcd_status_t *this, bool found,
					   qcd_store_info_t *info)
{
	if (!this->token)
	{
		return "off";
	}
	if (found && info->owed)
	{
		return "owed";
	}
	if (found && info->given)
	{
		return "given";
	}
	return "none";
}

/**
 * Print the ike_sa lines
 */
static void print_sas(private_qcd_status_t *this, FILE *out)
{
	qcd_store_info_t info;
	char name[64];
	array_t *sas;
	bool found;
	sa_t *sa;

	sas = collect_sas();
	while (array_remove(sas, ARRAY_HEAD, &sa))
	{
		found = this->store->get_info(this->store, sa->uid, &info);
		fprintf(out, "ike_sa name=%s uid=%u state=%N peer=%H peer_token=%s "
				"our_token=%s\n", value(name, sizeof(name), sa->name), sa->uid,
				ike_sa_state_names, sa->state, sa->peer,
				peer_token(this, found, &info), our_token(this, found, &info));
		sa_destroy(sa);
	}
	array_destroy(sas);
}

/**
 * Print the journal line.  QCD_STATUS_JOURNAL: whatever qcd_journal_t
 * reports (qcd_journal_status_t) goes here, as key=value pairs; qcd-status
 * prints the pairs of this line as they come, so a field added here needs
 * no change in the tool, only in qcd_status.h and docs/status.md.
 */
static void print_journal(private_qcd_status_t *this, FILE *out)
{
	qcd_journal_status_t status;

	fprintf(out, "journal push=%s", this->journal ? "on" : "off");
	if (this->journal)
	{
		this->journal->get_status(this->journal, &status);
		fprintf(out, " open=%s entries=%u inherited=%u slots=%u failures=%u",
				status.open ? "yes" : "no", status.entries, status.inherited,
				status.slots, status.failures);
	}
	fprintf(out, "\n");
}

METHOD(qcd_status_t, print, void,
	private_qcd_status_t *this, FILE *out, bool sas)
{
	char fingerprint[QCD_FINGERPRINT_LEN] = "";
	u_int count, tokens;
	int i, generations = 0;

	fprintf(out, "version %d\n", QCD_STATUS_VERSION);
	if (this->token)
	{
		generations = this->token->get_count(this->token);
		this->token->get_fingerprint(this->token, fingerprint);
	}
	fprintf(out, "plugin maker=%s taker=%s secret=%s generations=%d "
			"method=%N push=%s nudge=%s\n", this->token ? "on" : "off",
			this->taker ? "on" : "off", generations ? fingerprint : "none",
			generations, qcd_method_names, this->token ?
			this->token->get_method(this->token) : QCD_METHOD_SPI,
			this->journal ? "on" : "off",
			this->taker && this->nudge ? "on" : "off");
	fprintf(out, "counters");
	for (i = 0; i < QCD_COUNTER_MAX; i++)
	{
		fprintf(out, " %N=%"PRIu64, qcd_counter_names, i,
				this->counters->get(this->counters, i));
	}
	fprintf(out, "\n");
	count = this->store->get_count(this->store, &tokens);
	fprintf(out, "store ike_sas=%u tokens=%u max_tokens=%u\n", count, tokens,
			this->max_tokens);
	print_journal(this, out);
	if (sas)
	{
		print_sas(this, out);
	}
	fprintf(out, "end\n");
}

/**
 * Read the request line, without its newline
 */
static bool read_request(stream_t *stream, char *buf, size_t len)
{
	size_t done = 0;
	ssize_t ret;
	char *nl;

	while (done < len - 1)
	{
		ret = stream->read(stream, buf + done, len - 1 - done, TRUE);
		if (ret <= 0)
		{
			return FALSE;
		}
		done += ret;
		buf[done] = '\0';
		nl = strchr(buf, '\n');
		if (nl)
		{
			*nl = '\0';
			if (nl > buf && nl[-1] == '\r')
			{
				nl[-1] = '\0';
			}
			return TRUE;
		}
	}
	return FALSE;
}

/**
 * Serve a client: one request, one answer
 */
static bool on_accept(private_qcd_status_t *this, stream_t *stream)
{
	struct timeval timeout = { .tv_sec = QCD_STATUS_TIMEOUT };
	char request[QCD_STATUS_REQUEST_MAX];
	FILE *out;

	out = stream->get_file(stream);
	if (!out)
	{
		DBG1(DBG_CFG, "qcd: serving a status client failed: %s",
			 strerror(errno));
		return FALSE;
	}
	/* a client that does not ask, or does not read, holds this thread for
	 * a while only; the options are the socket's, shared with the stream */
	setsockopt(fileno(out), SOL_SOCKET, SO_RCVTIMEO, &timeout,
			   sizeof(timeout));
	setsockopt(fileno(out), SOL_SOCKET, SO_SNDTIMEO, &timeout,
			   sizeof(timeout));
	if (read_request(stream, request, sizeof(request)))
	{
		if (streq(request, "status") || streq(request, "summary"))
		{
			print(this, out, streq(request, "status"));
		}
		else
		{
			fprintf(out, "error unknown request\nend\n");
		}
	}
	fclose(out);
	return FALSE;
}

METHOD(qcd_status_t, destroy, void,
	private_qcd_status_t *this)
{
	DESTROY_IF(this->service);
	free(this);
}

/*
 * Described in header
 */
qcd_status_t *qcd_status_create(qcd_store_t *store, qcd_counters_t *counters,
								qcd_token_t *token, qcd_journal_t *journal,
								bool taker, char *uri)
{
	private_qcd_status_t *this;
	mode_t mask;

	INIT(this,
		.public = {
			.print = _print,
			.destroy = _destroy,
		},
		.store = store,
		.counters = counters,
		.token = token,
		.journal = journal,
		.taker = taker,
		/* the defaults of qcd_plugin.c and qcd_verifier.c */
		.nudge = lib->settings->get_bool(lib->settings,
							"%s.plugins.qcd.nudge", TRUE, lib->ns),
		.max_tokens = lib->settings->get_int(lib->settings,
							"%s.plugins.qcd.max_tokens", 100000, lib->ns),
	);

	if (uri && *uri)
	{
		/* strongSwan 6.1's stream service leaves its umask set when bind()
		 * fails; ours is read by setting a stricter one for a moment */
		mask = umask(S_IRWXG | S_IRWXO);
		umask(mask);
		this->service = lib->streams->create_service(lib->streams, uri, 10);
		if (!this->service)
		{
			umask(mask);
			DBG1(DBG_CFG, "qcd: creating status socket '%s' failed", uri);
			destroy(this);
			return NULL;
		}
		/* as charon's own sockets (vici, lookip): for charon's user and
		 * group (0770 up to 6.0, 0660 since 6.1); it tells no token or
		 * secret.  A chmod after the stream
		 * service gave it to charon.user would need CAP_FOWNER, which
		 * Debian's AppArmor profile denies */
		this->service->on_accept(this->service, (stream_service_cb_t)on_accept,
								 this, JOB_PRIO_CRITICAL, 1);
		DBG2(DBG_CFG, "qcd: status on '%s'", uri);
	}
	return &this->public;
}
