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

#include "qcd_limiter.h"

#include <library.h>
#include <threading/mutex.h>
#include <utils/debug.h>

/** Number of per-source buckets */
#define SOURCE_BUCKETS 1024

/** Tokens are counted in thousandths, refilled per millisecond */
#define SCALE 1000

typedef struct private_qcd_limiter_t private_qcd_limiter_t;

/**
 * Private data of a qcd_limiter_t object.
 */
struct private_qcd_limiter_t {

	/**
	 * Public interface.
	 */
	qcd_limiter_t public;

	/**
	 * Global bucket
	 */
	qcd_bucket_t global;

	/**
	 * Per-source buckets
	 */
	qcd_bucket_t sources[SOURCE_BUCKETS];

	/**
	 * Global rate and burst
	 */
	u_int rate, burst;

	/**
	 * Per-source rate and burst
	 */
	u_int source_rate, source_burst;

	/**
	 * Protects the buckets
	 */
	mutex_t *mutex;
};

/*
 * Described in header
 */
uint64_t qcd_bucket_now()
{
	timeval_t tv;

	time_monotonic(&tv);
	/* + 1 so that 0 means "never used" */
	return (uint64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000 + 1;
}

/*
 * Described in header
 */
bool qcd_bucket_refill(qcd_bucket_t *bucket, u_int rate, u_int burst,
					   uint64_t now)
{
	if (!rate)
	{
		return TRUE;
	}
	if (!bucket->last)
	{	/* unused buckets start full */
		bucket->tokens = (uint64_t)burst * SCALE;
		bucket->last = now;
	}
	else if (now > bucket->last)
	{	/* never for a negative interval, which as unsigned would be huge */
		bucket->tokens = min((uint64_t)burst * SCALE,
							 bucket->tokens + (now - bucket->last) * rate);
		bucket->last = now;
	}
	return bucket->tokens >= SCALE;
}

/**
 * Take a token, if the bucket is limited
 */
static void take(qcd_bucket_t *bucket, u_int rate)
{
	if (rate)
	{
		bucket->tokens -= SCALE;
	}
}

METHOD(qcd_limiter_t, allow, bool,
	private_qcd_limiter_t *this, host_t *src)
{
	uint64_t now;
	qcd_bucket_t *source;
	bool ok;

	source = &this->sources[chunk_hash(src->get_address(src)) % SOURCE_BUCKETS];

	this->mutex->lock(this->mutex);
	/* under the lock: charon's workers call this concurrently, and a time
	 * read before another thread's refill must not be used after it */
	now = qcd_bucket_now();
	ok = qcd_bucket_refill(&this->global, this->rate, this->burst, now) &&
		 qcd_bucket_refill(source, this->source_rate, this->source_burst, now);
	if (ok)
	{
		take(&this->global, this->rate);
		take(source, this->source_rate);
	}
	this->mutex->unlock(this->mutex);
	return ok;
}

METHOD(qcd_limiter_t, destroy, void,
	private_qcd_limiter_t *this)
{
	this->mutex->destroy(this->mutex);
	free(this);
}

/*
 * Described in header
 */
qcd_limiter_t *qcd_limiter_create(u_int rate, u_int burst, u_int source_rate,
								  u_int source_burst)
{
	private_qcd_limiter_t *this;

	INIT(this,
		.public = {
			.allow = _allow,
			.destroy = _destroy,
		},
		.rate = rate,
		.burst = max(burst, 1),
		.source_rate = source_rate,
		.source_burst = max(source_burst, 1),
		.mutex = mutex_create(MUTEX_TYPE_DEFAULT),
	);
	return &this->public;
}

/*
 * Described in header
 */
u_int qcd_limiter_get_option(char *option, int def)
{
	int value;

	value = lib->settings->get_int(lib->settings, "%s.plugins.qcd.%s",
								   def, lib->ns, option);
	if (value < 0)
	{
		DBG1(DBG_CFG, "qcd: invalid %s %d, use 0 or more; using %d", option,
			 value, def);
		return def;
	}
	return value;
}

/**
 * Read one limit, refusing negative values
 */
static u_int get_limit(char *name, char *suffix, int def)
{
	char option[64];

	snprintf(option, sizeof(option), "%s_%s", name, suffix);
	return qcd_limiter_get_option(option, def);
}

/*
 * Described in header
 */
qcd_limiter_t *qcd_limiter_create_from_settings(char *name)
{
	return qcd_limiter_create(get_limit(name, "rate", 100),
							  get_limit(name, "burst", 200),
							  get_limit(name, "source_rate", 20),
							  get_limit(name, "source_burst", 100));
}
