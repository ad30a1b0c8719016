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
 * @defgroup qcd_init_race qcd_init_race
 * @{ @ingroup qcd
 */

#ifndef QCD_INIT_RACE_H_
#define QCD_INIT_RACE_H_

#include <bus/listeners/listener.h>

/** Times an IKE_SA_INIT response is delivered again at most */
#define QCD_INIT_RACE_TRIES 3

/** IKE_SA_INIT responses delivered again per second at most */
#define QCD_INIT_RACE_RATE 1000

typedef struct qcd_init_race_t qcd_init_race_t;

/**
 * Delivers an IKE_SA_INIT response again when it arrived before charon
 * registered the IKE_SA it answers.
 *
 * When charon re-establishes an IKE_SA (ike_sa.c reestablish(), which the
 * token taker triggers for every IKE_SA a peer proved lost), it creates
 * the new IKE_SA, sends its IKE_SA_INIT request and only then checks the
 * IKE_SA in to the IKE_SA manager.  A response that arrives in between
 * finds no IKE_SA, is dropped with ALERT_INVALID_IKE_SPI, and the request
 * is only retransmitted after retransmit_timeout (4 s): after a gateway's
 * restart, when all its peers re-establish at once, that is the tail of
 * the recovery.  This listener takes such responses from that alert and
 * queues them again, 20, 100 and 500 ms later, until an IKE_SA takes one:
 * at most QCD_INIT_RACE_TRIES times per initiator SPI, and at most
 * QCD_INIT_RACE_RATE per second, as anybody can send such packets.  A
 * response nobody takes costs a header parse and a lookup per try.
 * Charon's own fix is to check in the IKE_SA before initiating it.
 */
struct qcd_init_race_t {

	/**
	 * Implements listener_t.
	 */
	listener_t listener;

	/**
	 * Destroy a qcd_init_race_t.
	 */
	void (*destroy)(qcd_init_race_t *this);
};

/**
 * Create a qcd_init_race_t instance.
 *
 * @return			listener, to be registered on charon's bus
 */
qcd_init_race_t *qcd_init_race_create();

#endif /** QCD_INIT_RACE_H_ @}*/
