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

#include "qcd_token.h"

#include <threading/mutex.h>

ENUM(qcd_method_names, QCD_METHOD_SPI, QCD_METHOD_ADDRESS,
	"spi",
	"address",
);

typedef struct private_qcd_token_t private_qcd_token_t;

/**
 * Private data of a qcd_token_t object.
 */
struct private_qcd_token_t {

	/**
	 * Public interface.
	 */
	qcd_token_t public;

	/**
	 * HMAC-SHA-256, keyed with each generation's secret
	 */
	prf_t *prf[QCD_SECRET_GENERATIONS];

	/**
	 * Number of keyed PRFs
	 */
	int count;

	/**
	 * Fingerprint of the current secret, "" without a secret
	 */
	char fingerprint[QCD_FINGERPRINT_LEN];

	/**
	 * Token derivation method
	 */
	qcd_method_t method;

	/**
	 * Protects prf and count; PRFs are not thread-safe
	 */
	mutex_t *mutex;
};

/**
 * Destroy all PRFs, the caller holds the lock
 */
static void clear(private_qcd_token_t *this)
{
	while (this->count)
	{
		this->count--;
		this->prf[this->count]->destroy(this->prf[this->count]);
	}
}

METHOD(qcd_token_t, set_secret, bool,
	private_qcd_token_t *this, qcd_secret_t *secret)
{
	prf_t *prf[QCD_SECRET_GENERATIONS];
	int i, count = secret ? secret->get_count(secret) : 0;

	for (i = 0; i < count; i++)
	{
		prf[i] = lib->crypto->create_prf(lib->crypto, PRF_HMAC_SHA2_256);
		if (!prf[i] || !prf[i]->set_key(prf[i], secret->get(secret, i)))
		{
			DBG1(DBG_CFG, "qcd: HMAC-SHA-256 not available, cannot make "
				 "tokens");
			DESTROY_IF(prf[i]);
			while (i--)
			{
				prf[i]->destroy(prf[i]);
			}
			return FALSE;
		}
	}
	this->mutex->lock(this->mutex);
	clear(this);
	memcpy(this->prf, prf, sizeof(prf_t*) * count);
	this->count = count;
	snprintf(this->fingerprint, sizeof(this->fingerprint), "%s",
			 count ? secret->get_fingerprint(secret) : "");
	this->mutex->unlock(this->mutex);
	return TRUE;
}

METHOD(qcd_token_t, get_count, int,
	private_qcd_token_t *this)
{
	int count;

	this->mutex->lock(this->mutex);
	count = this->count;
	this->mutex->unlock(this->mutex);
	return count;
}

METHOD(qcd_token_t, get_fingerprint, bool,
	private_qcd_token_t *this, char buf[QCD_FINGERPRINT_LEN])
{
	bool ok;

	this->mutex->lock(this->mutex);
	memcpy(buf, this->fingerprint, QCD_FINGERPRINT_LEN);
	ok = this->count > 0;
	this->mutex->unlock(this->mutex);
	return ok;
}

METHOD(qcd_token_t, get_method, qcd_method_t,
	private_qcd_token_t *this)
{
	return this->method;
}

METHOD(qcd_token_t, compute, bool,
	private_qcd_token_t *this, int gen, ike_sa_id_t *id, host_t *taker,
	u_char token[QCD_TOKEN_LEN])
{
	uint64_t spis[2];
	chunk_t addr = chunk_empty;
	bool ok = FALSE;

	/* SPIs are kept in network order, so this is the wire order */
	spis[0] = id->get_initiator_spi(id);
	spis[1] = id->get_responder_spi(id);
	if (this->method == QCD_METHOD_ADDRESS)
	{
		if (!taker)
		{
			return FALSE;
		}
		addr = taker->get_address(taker);
	}
	this->mutex->lock(this->mutex);
	if (gen >= 0 && gen < this->count)
	{
		ok = this->prf[gen]->get_bytes(this->prf[gen],
							chunk_create((u_char*)spis, sizeof(spis)), NULL) &&
			 this->prf[gen]->get_bytes(this->prf[gen], addr, token);
	}
	this->mutex->unlock(this->mutex);
	return ok;
}

METHOD(qcd_token_t, destroy, void,
	private_qcd_token_t *this)
{
	clear(this);
	this->mutex->destroy(this->mutex);
	free(this);
}

/*
 * Described in header
 */
qcd_token_t *qcd_token_create(qcd_method_t method)
{
	private_qcd_token_t *this;

	INIT(this,
		.public = {
			.set_secret = _set_secret,
			.get_count = _get_count,
			.get_fingerprint = _get_fingerprint,
			.get_method = _get_method,
			.compute = _compute,
			.destroy = _destroy,
		},
		.method = method,
		.mutex = mutex_create(MUTEX_TYPE_DEFAULT),
	);
	return &this->public;
}
