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

#include "qcd_tests.h"

#include <daemon.h>
#include <qcd_secret.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/** Temporary directory of the running test */
static char tmpdir[64];

/*
 * Described in header
 */
void qcd_tests_write(char *path, chunk_t data, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data.ptr, data.len), data.len);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

/** What charon logged, one line after the other */
static logger_t logger;
static char logged[8192];

METHOD(logger_t, log_, void,
	logger_t *this, debug_t group, level_t level, int thread,
	ike_sa_t *ike_sa, const char *message)
{
	if (strlen(logged) + strlen(message) + 2 < sizeof(logged))
	{
		strcat(logged, message);
		strcat(logged, "\n");
	}
}

METHOD(logger_t, get_level, level_t,
	logger_t *this, debug_t group)
{
	return LEVEL_CTRL;
}

/*
 * Described in header
 */
void qcd_tests_log_start()
{
	logged[0] = '\0';
	logger = (logger_t){ .log = _log_, .get_level = _get_level };
	charon->bus->add_logger(charon->bus, &logger);
}

/*
 * Described in header
 */
void qcd_tests_log_stop()
{
	charon->bus->remove_logger(charon->bus, &logger);
}

/*
 * Described in header
 */
int qcd_tests_logged(char *str, bool clear)
{
	char *pos = logged;
	int n = 0;

	while (*str && (pos = strstr(pos, str)))
	{
		n++;
		pos++;
	}
	if (clear)
	{
		logged[0] = '\0';
	}
	return n;
}

/** The stand-in scheduler, charon's, the jobs kept and the last delay */
static scheduler_t scheduler, *lib_scheduler;
static linked_list_t *scheduled;
static uint32_t scheduled_ms;

METHOD(scheduler_t, schedule_job_ms, void,
	scheduler_t *this, job_t *job, uint32_t ms)
{
	scheduled->insert_last(scheduled, job);
	scheduled_ms = ms;
}

METHOD(scheduler_t, schedule_job, void,
	scheduler_t *this, job_t *job, uint32_t s)
{
	schedule_job_ms(this, job, s * 1000);
}

/*
 * Described in header
 */
void qcd_tests_scheduler_start()
{
	scheduled = linked_list_create();
	scheduler = (scheduler_t){
		.schedule_job = _schedule_job,
		.schedule_job_ms = _schedule_job_ms,
	};
	lib_scheduler = lib->scheduler;
	lib->scheduler = &scheduler;
}

/*
 * Described in header
 */
void qcd_tests_scheduler_stop()
{
	lib->scheduler = lib_scheduler;
	scheduled->destroy_offset(scheduled, offsetof(job_t, destroy));
}

/*
 * Described in header
 */
linked_list_t *qcd_tests_scheduled()
{
	return scheduled;
}

/*
 * Described in header
 */
uint32_t qcd_tests_scheduled_ms()
{
	return scheduled_ms;
}

/*
 * Described in header
 */
char *qcd_tests_path(char *name)
{
	static char path[128];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

/*
 * Described in header
 */
void qcd_tests_tmpdir()
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/qcd-tests.XXXXXX");
	ck_assert(mkdtemp(tmpdir) != NULL);
}

/*
 * Described in header
 */
qcd_token_t *qcd_tests_token()
{
	qcd_secret_t *secret;
	qcd_token_t *token;

	qcd_tests_tmpdir();
	secret = qcd_secret_load(qcd_tests_path("qcd.secret"), TRUE);
	ck_assert(secret != NULL);
	token = qcd_token_create(QCD_METHOD_SPI);
	ck_assert(token->set_secret(token, secret));
	secret->destroy(secret);
	return token;
}

/*
 * Described in header
 */
void qcd_tests_cleanup()
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ignore_result(system(cmd));
}

#ifdef QCD_TESTS_CHECK

/**
 * Initialize libstrongswan and libcharon once for all tests, with the
 * crypto plugins of the installed strongSwan
 */
static void init()
{
	if (!library_init(NULL, "qcd-tests"))
	{
		fprintf(stderr, "library_init() failed\n");
		exit(1);
	}
	/* libcharon's DBG macros need the bus */
	if (!libcharon_init())
	{
		fprintf(stderr, "libcharon_init() failed\n");
		exit(1);
	}
	lib->plugins->add_path(lib->plugins, IPSEC_PLUGINDIR);
	if (!lib->plugins->load(lib->plugins, "random nonce openssl sha1 sha2 hmac"))
	{
		fprintf(stderr, "loading crypto plugins from %s failed\n",
				IPSEC_PLUGINDIR);
		exit(1);
	}
}

int main(int argc, char *argv[])
{
	SRunner *runner;
	int failed;

	init();
	runner = srunner_create(NULL);
#define TEST_SUITE(x) srunner_add_suite(runner, x());
#include "qcd_suites.h"
#undef TEST_SUITE
	/* no fork: the library is initialized once */
	srunner_set_fork_status(runner, CK_NOFORK);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);

	libcharon_deinit();
	library_deinit();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#else /* QCD_TESTS_CHECK */

#include <test_runner.h>

static test_configuration_t tests[] = {
#define TEST_SUITE(x) \
	{ .suite = x, },
#include "qcd_suites.h"
#undef TEST_SUITE
	{ .suite = NULL, }
};

/**
 * Initialize charon and load the plugins before each test
 */
static bool test_runner_init(bool init)
{
	if (init)
	{
		char *plugins, *plugindir;

		libcharon_init();
		plugins = getenv("TESTS_PLUGINS") ?:
					lib->settings->get_str(lib->settings,
										"tests.load", PLUGINS);
		plugindir = lib->settings->get_str(lib->settings,
										"tests.plugindir", PLUGINDIR);
		plugin_loader_add_plugindirs(plugindir, plugins);
		if (!lib->plugins->load(lib->plugins, plugins))
		{
			return FALSE;
		}
	}
	else
	{
		lib->processor->set_threads(lib->processor, 0);
		lib->processor->cancel(lib->processor);
		lib->plugins->unload(lib->plugins);
		libcharon_deinit();
	}
	return TRUE;
}

int main(int argc, char *argv[])
{
	return test_runner_run("qcd", tests, test_runner_init);
}

#endif /* QCD_TESTS_CHECK */
