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
 * @defgroup qcd_connect_manager qcd_connect_manager
 * @{ @ingroup qcd
 */

#ifndef QCD_CONNECT_MANAGER_H_
#define QCD_CONNECT_MANAGER_H_

#include "qcd_verifier.h"

#ifdef ME

#include <sa/ikev2/connect_manager.h>

/**
 * Decorate charon's connect_manager so that unprotected QCD replies reach
 * the verifier on builds with mediation (ME), such as Debian's.
 *
 * With ME, process_message_job hands every INFORMATIONAL whose first
 * payload is not SK to connect_manager->process_check(), before any
 * IKE_SA lookup: no listener hook ever sees an unprotected INFORMATIONAL
 * reply.  The decorator's process_check() offers each such message to the
 * verifier first, and passes everything that is not a QCD reply on to the
 * original manager; all other methods delegate.
 *
 * charon creates its connect_manager after loading plugins, so the plugin
 * queues qcd_connect_manager_install() as a job.  The daemon destroys the
 * decorator, and with it the original, before it unloads plugins.
 */

/**
 * Replace charon->connect_manager with the decorator.  Used as a
 * callback_job_cb_t.
 *
 * @param verifier	verifier to offer messages to
 * @return			JOB_REQUEUE_NONE
 */
job_requeue_t qcd_connect_manager_install(qcd_verifier_t *verifier);

/**
 * Create a decorator around a connect_manager.
 *
 * @param inner		manager to delegate to, owned by the decorator
 * @param verifier	verifier to offer messages to
 * @return			decorator
 */
connect_manager_t *qcd_connect_manager_create(connect_manager_t *inner,
											  qcd_verifier_t *verifier);

#endif /* ME */

#endif /** QCD_CONNECT_MANAGER_H_ @}*/
