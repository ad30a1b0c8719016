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

/**
 * @defgroup qcd_status qcd_status
 * @{ @ingroup qcd
 */

#ifndef QCD_STATUS_H_
#define QCD_STATUS_H_

#include "qcd_counters.h"
#include "qcd_journal.h"
#include "qcd_store.h"
#include "qcd_token.h"

#include <stdio.h>

/** Default URI of the status socket; Debian's AppArmor profile of charon
 * allows /run/charon.* */
#define QCD_STATUS_SOCKET "unix:///run/charon.qcd"

/** Version of the status protocol */
#define QCD_STATUS_VERSION 1

/** Longest request line, with its newline */
#define QCD_STATUS_REQUEST_MAX 64

typedef struct qcd_status_t qcd_status_t;

/**
 * The operator's view of the plugin: a stream service on a UNIX socket, as
 * the lookip plugin's, that tells for each IKE_SA whether we hold the
 * peer's token and gave ours, and what the plugin counted since charon
 * started.  The qcd-status tool prints it.
 *
 * Protocol, version 1.  A client connects to the socket
 * (charon.plugins.qcd.socket), sends one request line and reads lines until
 * the service closes the connection:
 *
 *   request "status\n":  everything below
 *   request "summary\n": everything but the ike_sa lines
 *
 * Each line of the answer is a keyword, then key=value pairs, separated by
 * single spaces.  Values never contain spaces, '=' or control characters:
 * such characters, e.g. in a connection name, are sent as '?'.  Clients
 * ignore keywords and keys they do not know; later versions may add some.
 * The lines, in this order:
 *
 *   version 1
 *   plugin maker=on|off taker=on|off secret=FINGERPRINT|none generations=N
 *          method=spi|address push=on|off nudge=on|off
 *   counters NAME=N ...      (qcd_counter_names, since charon started)
 *   store ike_sas=N tokens=N max_tokens=N
 *   journal push=on|off open=yes|no entries=N inherited=N slots=N failures=N
 *                            (qcd_journal_status_t; all but push only with
 *                            push on)
 *   ike_sa name=NAME uid=N state=STATE peer=ADDRESS
 *          peer_token=held|pending|full|none|off our_token=given|owed|none|off
 *   end
 *
 * with one ike_sa line per IKEv2 SA charon has (wrapped here, one line on
 * the wire).  peer_token: held, the peer's token is stored and would
 * verify a QCD reply; pending, it arrived but is not usable yet (before
 * the IKE_SA is established, or for the new IKE_SA of a rekey); full, it
 * was not stored, max_tokens was reached; none, the peer sent none; off,
 * the token taker is off.  our_token: given, we sent the peer our token
 * for the IKE_SA's SPIs; owed, a new one goes in our next request on it
 * (after a rekey, or an address change with method address); none, we
 * gave none (no secret, or not yet); off, the token maker is off.
 * An unknown request gets "error unknown request" before "end".  "end"
 * is always the last line: an answer without it is incomplete.
 *
 * Tokens, their digests and secrets are never sent; the fingerprint is the
 * one charon logs.  The socket is created with mode 0600 and owned by the
 * user charon runs as.  Each connection is served by one thread at a time,
 * which gives up on a client that does not send its request or read for 5
 * seconds.  The IKE_SAs are copied from charon's IKE_SA manager first, as
 * swanctl --list-sas does, holding no lock of the plugin; the answer is
 * written afterwards, so a slow client holds up no IKE processing.
 */
struct qcd_status_t {

	/**
	 * Write the status, in the format of the protocol above.
	 *
	 * @param out		where to write it
	 * @param sas		TRUE to include the ike_sa lines
	 */
	void (*print)(qcd_status_t *this, FILE *out, bool sas);

	/**
	 * Stop the service and destroy the status.
	 */
	void (*destroy)(qcd_status_t *this);
};

/**
 * Create the status and, if uri is given, its service.
 *
 * @param store		per-IKE_SA data
 * @param counters	event counters
 * @param token		token generator, NULL if the maker role is off
 * @param journal	journal, NULL if push is off
 * @param taker		TRUE if the taker role is on
 * @param uri		URI of the socket to serve, NULL or "" for none
 * @return			status, NULL if the service could not be created
 */
qcd_status_t *qcd_status_create(qcd_store_t *store, qcd_counters_t *counters,
								qcd_token_t *token, qcd_journal_t *journal,
								bool taker, char *uri);

#endif /** QCD_STATUS_H_ @}*/
