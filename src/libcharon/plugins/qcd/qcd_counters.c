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

#include "qcd_counters.h"

#include <threading/mutex.h>

ENUM(qcd_counter_names, QCD_TOKENS_SENT, QCD_DELETES,
	"tokens_sent",
	"replies_sent",
	"replies_notify",
	"replies_dropped",
	"requests_live",
	"requests_unconfigured",
	"pushes_sent",
	"tokens_stored",
	"tokens_not_stored",
	"tokens_verified",
	"tokens_rejected",
	"verify_dropped",
	"nudges",
	"deletes",
);

/* 64-bit atomics without a lock where the platform has them (gcc and clang
 * define this), a mutex where it has not (some 32-bit ABIs), rather than
 * depending on libatomic */
#if defined(__GCC_ATOMIC_LLONG_LOCK_FREE) && __GCC_ATOMIC_LLONG_LOCK_FREE == 2
#define QCD_COUNTERS_ATOMIC
#endif

typedef struct private_qcd_counters_t private_qcd_counters_t;

/**
 * Private data of a qcd_counters_t object.
 */
struct private_qcd_counters_t {

	/**
	 * Public interface.
	 */
	qcd_counters_t public;

	/**
	 * The counters
	 */
	uint64_t counters[QCD_COUNTER_MAX];

#ifndef QCD_COUNTERS_ATOMIC
	/**
	 * Protects the counters
	 */
	mutex_t *mutex;
#endif
};

METHOD(qcd_counters_t, inc, void,
	private_qcd_counters_t *this, qcd_counter_t counter)
{
	if (counter >= QCD_COUNTER_MAX)
	{
		return;
	}
#ifdef QCD_COUNTERS_ATOMIC
	__atomic_add_fetch(&this->counters[counter], 1, __ATOMIC_RELAXED);
#else
	this->mutex->lock(this->mutex);
	this->counters[counter]++;
	this->mutex->unlock(this->mutex);
#endif
}

METHOD(qcd_counters_t, get, uint64_t,
	private_qcd_counters_t *this, qcd_counter_t counter)
{
	uint64_t value;

	if (counter >= QCD_COUNTER_MAX)
	{
		return 0;
	}
#ifdef QCD_COUNTERS_ATOMIC
	value = __atomic_load_n(&this->counters[counter], __ATOMIC_RELAXED);
#else
	this->mutex->lock(this->mutex);
	value = this->counters[counter];
	this->mutex->unlock(this->mutex);
#endif
	return value;
}

METHOD(qcd_counters_t, destroy, void,
	private_qcd_counters_t *this)
{
#ifndef QCD_COUNTERS_ATOMIC
	this->mutex->destroy(this->mutex);
#endif
	free(this);
}

/*
 * Described in header
 */
qcd_counters_t *qcd_counters_create()
{
	private_qcd_counters_t *this;

	INIT(this,
		.public = {
			.inc = _inc,
			.get = _get,
			.destroy = _destroy,
		},
#ifndef QCD_COUNTERS_ATOMIC
		.mutex = mutex_create(MUTEX_TYPE_DEFAULT),
#endif
	);
	return &this->public;
}
