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
 * @defgroup qcd_push qcd_push
 * @{ @ingroup qcd
 */

#ifndef QCD_PUSH_H_
#define QCD_PUSH_H_

#include "qcd_journal.h"
#include "qcd_responder.h"

/** Milliseconds between two rounds of pushes */
#define QCD_PUSH_TICK 20

/** Most pushes per second, as many as a journal may hold */
#define QCD_PUSH_RATE_MAX QCD_JOURNAL_MAX_ENTRIES

/** Most entries offered per round without a rate: 50,000 per second */
#define QCD_PUSH_ROUND 1000

/** Default for push_half_open, as charon's for cookie_threshold: a burst
 * of that many IKE_SA_INITs fits into a socket's default receive buffer */
#define QCD_PUSH_HALF_OPEN 30

/**
 * Start push recovery after a start: a job offers the journal's inherited
 * IKE_SAs to the responder, at most rate per second, until each is pushed,
 * held by charon, or dropped: those whose peer still has no config timeout
 * seconds after the start.  Entries with a config are pushed however long
 * that takes.
 *
 * The job is owned by the scheduler, which charon flushes before it
 * unloads plugins.
 *
 * @param journal	journal with the inherited IKE_SAs
 * @param responder	responder that pushes
 * @param rate		entries offered per second, 0 for QCD_PUSH_ROUND per
 *					round
 * @param half_open	push only while charon has fewer half-open IKE_SAs
 *					as responder, 0 for no limit
 * @param timeout	seconds to wait for configs of the peers
 */
void qcd_push_start(qcd_journal_t *journal, qcd_responder_t *responder,
					u_int rate, u_int half_open, u_int timeout);

/**
 * Default for push_half_open: QCD_PUSH_HALF_OPEN, or charon's
 * cookie_threshold or init_limit_half_open if lower, above which charon
 * demands cookies (an extra round trip for each peer) or refuses
 * IKE_SA_INITs.
 *
 * @return			most half-open IKE_SAs, 0 for no limit
 */
u_int qcd_push_half_open_default();

#endif /** QCD_PUSH_H_ @}*/
