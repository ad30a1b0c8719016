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

#include "qcd_connect_manager.h"

#ifdef ME

#include <daemon.h>

typedef struct private_qcd_connect_manager_t private_qcd_connect_manager_t;

/**
 * Private data of the decorator.
 */
struct private_qcd_connect_manager_t {

	/**
	 * Public interface.
	 */
	connect_manager_t public;

	/**
	 * Decorated manager
	 */
	connect_manager_t *inner;

	/**
	 * Verifier for QCD replies
	 */
	qcd_verifier_t *verifier;
};

METHOD(connect_manager_t, check_and_register, bool,
	private_qcd_connect_manager_t *this, identification_t *id,
	identification_t *peer_id, ike_sa_id_t *mediated_sa)
{
	return this->inner->check_and_register(this->inner, id, peer_id,
										   mediated_sa);
}

METHOD(connect_manager_t, check_and_initiate, void,
	private_qcd_connect_manager_t *this, ike_sa_id_t *mediation_sa,
	identification_t *id, identification_t *peer_id)
{
	this->inner->check_and_initiate(this->inner, mediation_sa, id, peer_id);
}

METHOD(connect_manager_t, set_initiator_data, status_t,
	private_qcd_connect_manager_t *this, identification_t *initiator,
	identification_t *responder, chunk_t connect_id, chunk_t key,
	linked_list_t *endpoints, bool is_initiator)
{
	return this->inner->set_initiator_data(this->inner, initiator, responder,
									connect_id, key, endpoints, is_initiator);
}

METHOD(connect_manager_t, set_responder_data, status_t,
	private_qcd_connect_manager_t *this, chunk_t connect_id, chunk_t key,
	linked_list_t *endpoints)
{
	return this->inner->set_responder_data(this->inner, connect_id, key,
										   endpoints);
}

METHOD(connect_manager_t, stop_checks, status_t,
	private_qcd_connect_manager_t *this, chunk_t connect_id)
{
	return this->inner->stop_checks(this->inner, connect_id);
}

METHOD(connect_manager_t, process_check, void,
	private_qcd_connect_manager_t *this, message_t *message)
{
	if (!this->verifier->process(this->verifier, message))
	{
		this->inner->process_check(this->inner, message);
	}
}

METHOD(connect_manager_t, destroy, void,
	private_qcd_connect_manager_t *this)
{
	this->inner->destroy(this->inner);
	free(this);
}

/*
 * Described in header
 */
connect_manager_t *qcd_connect_manager_create(connect_manager_t *inner,
											  qcd_verifier_t *verifier)
{
	private_qcd_connect_manager_t *this;

	INIT(this,
		.public = {
			.check_and_register = _check_and_register,
			.check_and_initiate = _check_and_initiate,
			.set_initiator_data = _set_initiator_data,
			.set_responder_data = _set_responder_data,
			.stop_checks = _stop_checks,
			.process_check = _process_check,
			.destroy = _destroy,
		},
		.inner = inner,
		.verifier = verifier,
	);
	return &this->public;
}

/*
 * Described in header
 */
job_requeue_t qcd_connect_manager_install(qcd_verifier_t *verifier)
{
	connect_manager_t *inner = charon->connect_manager;

	if (!inner)
	{
		DBG1(DBG_CFG, "qcd: charon has no connect_manager, unprotected QCD "
			 "INFORMATIONAL replies will be dropped");
		return JOB_REQUEUE_NONE;
	}
	/* process_message_job reads the pointer without a lock */
	__atomic_store_n(&charon->connect_manager,
					 qcd_connect_manager_create(inner, verifier),
					 __ATOMIC_RELEASE);
	DBG2(DBG_CFG, "qcd: receiving unprotected INFORMATIONAL replies through "
		 "the connect_manager");
	return JOB_REQUEUE_NONE;
}

#endif /* ME */
