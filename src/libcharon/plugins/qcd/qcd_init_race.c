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


#include "qcd_init_race.h"
#include "qcd_limiter.h"

#include <inttypes.h>

#include <daemon.h>
#include <collections/hashtable.h>
#include <processing/jobs/process_message_job.h>
#include <threading/mutex.h>

/** Most initiator SPIs tracked at once; beyond, nothing is redelivered */
#define MAX_TRACKED 1024

/** Milliseconds after which a tracked SPI is forgotten */
#define FORGET_MS 2000

/** Delays before each try, in ms */
static const u_int delays[QCD_INIT_RACE_TRIES] = { 20, 100, 500 };

typedef struct private_qcd_init_race_t private_qcd_init_race_t;

/**
 * A response delivered again
 */
typedef struct {
	/** initiator SPI, hash table key */
	uint64_t spi;
	/** tries so far */
	u_int tries;
	/** monotonic time of the first try in ms */
	uint64_t first;
} tracked_t;

/**
 * Private data of a qcd_init_race_t object.
 */
struct private_qcd_init_race_t {

	/**
	 * Public interface.
	 */
	qcd_init_race_t public;

	/**
	 * uint64_t* => tracked_t, by initiator SPI
	 */
	hashtable_t *tracked;

	/**
	 * Rate limit
	 */
	qcd_limiter_t *limiter;

	/**
	 * Protects tracked
	 */
	mutex_t *mutex;
};

/**
 * Hash an SPI
 */
static u_int hash_spi(const void *key)
{
	return chunk_hash(chunk_create((u_char*)key, sizeof(uint64_t)));
}

/**
 * Compare SPIs
 */
static bool equals_spi(const void *a, const void *b)
{
	return *(uint64_t*)a == *(uint64_t*)b;
}

/**
 * Forget SPIs tracked longer than FORGET_MS, with the lock held
 */
static void expire(private_qcd_init_race_t *this, uint64_t now)
{
	enumerator_t *enumerator;
	tracked_t *tracked;

	enumerator = this->tracked->create_enumerator(this->tracked);
	while (enumerator->enumerate(enumerator, NULL, &tracked))
	{
		if (now - tracked->first > FORGET_MS)
		{
			this->tracked->remove_at(this->tracked, enumerator);
			free(tracked);
		}
	}
	enumerator->destroy(enumerator);
}

/**
 * The delay before the next try of this SPI's response, 0 for none
 */
static u_int next_try(private_qcd_init_race_t *this, uint64_t spi,
					  host_t *src)
{
	tracked_t *tracked;
	uint64_t now = qcd_bucket_now();
	u_int delay = 0;

	this->mutex->lock(this->mutex);
	tracked = this->tracked->get(this->tracked, &spi);
	if (tracked && now - tracked->first > FORGET_MS)
	{	/* an SPI reused much later, not our own try */
		tracked->tries = 0;
		tracked->first = now;
	}
	if (!tracked)
	{
		if (this->tracked->get_count(this->tracked) >= MAX_TRACKED)
		{
			expire(this, now);
		}
		if (this->tracked->get_count(this->tracked) < MAX_TRACKED &&
			this->limiter->allow(this->limiter, src))
		{
			INIT(tracked,
				.spi = spi,
				.first = now,
			);
			this->tracked->put(this->tracked, &tracked->spi, tracked);
		}
	}
	if (tracked && tracked->tries < QCD_INIT_RACE_TRIES)
	{
		delay = delays[tracked->tries++];
	}
	this->mutex->unlock(this->mutex);
	return delay;
}

METHOD(listener_t, alert, bool,
	private_qcd_init_race_t *this, ike_sa_t *ike_sa, alert_t alert,
	va_list args)
{
	message_t *message, *again;
	ike_sa_id_t *id;
	u_int delay;

	if (alert != ALERT_INVALID_IKE_SPI)
	{
		return TRUE;
	}
	message = va_arg(args, message_t*);
	if (message->get_major_version(message) != IKEV2_MAJOR_VERSION ||
		message->get_exchange_type(message) != IKE_SA_INIT ||
		message->get_request(message))
	{
		return TRUE;
	}
	id = message->get_ike_sa_id(message);
	delay = next_try(this, id->get_initiator_spi(id),
					 message->get_source(message));
	if (!delay)
	{
		return TRUE;
	}
	again = message_create_from_packet(message->get_packet(message));
	if (again->parse_header(again) != SUCCESS)
	{
		again->destroy(again);
		return TRUE;
	}
	DBG2(DBG_NET, "qcd: IKE_SA_INIT response from %H for unknown IKE_SA with "
		 "SPI %.16"PRIx64"_i, maybe not registered yet, delivering it again "
		 "in %u ms", message->get_source(message),
		 be64toh(id->get_initiator_spi(id)), delay);
	lib->scheduler->schedule_job_ms(lib->scheduler,
						(job_t*)process_message_job_create(again), delay);
	return TRUE;
}

METHOD(qcd_init_race_t, destroy, void,
	private_qcd_init_race_t *this)
{
	this->tracked->destroy_function(this->tracked, (void*)free);
	this->limiter->destroy(this->limiter);
	this->mutex->destroy(this->mutex);
	free(this);
}

/*
 * Described in header
 */
qcd_init_race_t *qcd_init_race_create()
{
	private_qcd_init_race_t *this;

	INIT(this,
		.public = {
			.listener = {
				.alert = _alert,
			},
			.destroy = _destroy,
		},
		.tracked = hashtable_create(hash_spi, equals_spi, 32),
		.limiter = qcd_limiter_create(QCD_INIT_RACE_RATE, QCD_INIT_RACE_RATE,
									  0, 0),
		.mutex = mutex_create(MUTEX_TYPE_DEFAULT),
	);
	return &this->public;
}
