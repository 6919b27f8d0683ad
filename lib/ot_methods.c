/*
 * ot_methods.c - the catalogue of OT methods (sqlite's aBuiltinFunc[]:
 * one row per method), the parameters' defaults and their check.
 *
 * Adding a method: its solve function in a file of its own (declared
 * with nsl_ot_solve_fn), its row below, its object in the Makefile and
 * its cases in tests/fixtures/ot/methods.test.  Names, --list-methods,
 * which parameters go with it, the record's fields and the man page's
 * list (checked by a test) follow from the row.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nsl/ot.h"
#include "ot_internal.h"

nsl_ot_solve_fn ot_solve_exact, ot_solve_sinkhorn, ot_solve_divergence,
    ot_solve_sns, ot_solve_sliced, ot_solve_gaussian, ot_solve_otdd;

#define ALL_COSTS (1u << NSL_OT_SQEUCLIDEAN | 1u << NSL_OT_EUCLIDEAN | \
	1u << NSL_OT_COSINE)
#define EUCLIDEAN_COSTS (1u << NSL_OT_SQEUCLIDEAN | 1u << NSL_OT_EUCLIDEAN)
#define ENTROPIC (NSL_OT_P_EPS | NSL_OT_P_TOL | NSL_OT_P_MEMORY)

const struct nsl_ot_method nsl_ot_methods[] = {
	{ "exact", "network simplex run to optimality (about 17 n m bytes)",
	    NSL_OT_P_MEMORY, ALL_COSTS, NSL_OT_PLAN | NSL_OT_AS_INNER,
	    ot_solve_exact },
	{ "sinkhorn", "log-domain Sinkhorn with epsilon scaling",
	    ENTROPIC, ALL_COSTS, NSL_OT_PLAN | NSL_OT_AS_INNER,
	    ot_solve_sinkhorn },
	{ "divergence", "debiased Sinkhorn divergence",
	    ENTROPIC, ALL_COSTS, NSL_OT_PLAN, ot_solve_divergence },
	{ "sns", "Sinkhorn-Newton-Sparse",
	    ENTROPIC, ALL_COSTS, NSL_OT_PLAN, ot_solve_sns },
	{ "sliced", "sliced Wasserstein, with Gaussian control variates",
	    NSL_OT_P_PROJECTIONS | NSL_OT_P_CV, EUCLIDEAN_COSTS, 0,
	    ot_solve_sliced },
	{ "gaussian", "W2 between the Gaussians fitted to A and B",
	    0, 1u << NSL_OT_SQEUCLIDEAN, 0, ot_solve_gaussian },
	{ "otdd", "dataset distance: points and their class Gaussians",
	    NSL_OT_P_LABELS | NSL_OT_P_INNER, 1u << NSL_OT_SQEUCLIDEAN,
	    NSL_OT_PLAN, ot_solve_otdd },
	{ NULL, NULL, 0, 0, 0, NULL }
};

/* The parameters' names (options of nsl-ot-distance) for the listing. */
static const struct {
	unsigned bit;
	const char *names;
} param_names[] = {
	{ NSL_OT_P_EPS, "eps, eps-rel" },
	{ NSL_OT_P_TOL, "tol, max-iter, eps-scaling" },
	{ NSL_OT_P_MEMORY, "max-memory" },
	{ NSL_OT_P_PROJECTIONS, "projections, seed" },
	{ NSL_OT_P_CV, "control-variate" },
	{ NSL_OT_P_LABELS, "label-field (required)" },
	{ NSL_OT_P_INNER, "inner" }
};

/* enum nsl_ot_cv by name */
static const char *const cv_names[] = { "none", "lower", "upper", NULL };

const struct nsl_ot_method *
nsl_ot_method_find(const char *name)
{
	const struct nsl_ot_method *m;

	for (m = nsl_ot_methods; m->name != NULL; m++)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

/* "a, b or c": the names of the rows with these params and flags. */
static char *
names_where(unsigned params, unsigned flags, char *buf, size_t size)
{
	const struct nsl_ot_method *m;
	size_t len = 0, k = 0, count = 0;

	for (m = nsl_ot_methods; m->name != NULL; m++)
		count += (m->params & params) == params &&
		    (m->flags & flags) == flags;
	buf[0] = '\0';
	for (m = nsl_ot_methods; m->name != NULL && len < size; m++)
		if ((m->params & params) == params &&
		    (m->flags & flags) == flags) {
			len += (size_t)snprintf(buf + len, size - len, "%s%s",
			    k == 0 ? "" : k + 1 == count ? " or " : ", ",
			    m->name);
			k++;
		}
	return buf;
}

char *
nsl_ot_method_names(unsigned flags, char *buf, size_t size)
{
	return names_where(0, flags, buf, size);
}

/* "sqeuclidean or euclidean": the costs of a mask. */
static void
cost_list(unsigned costs, char *buf, size_t size)
{
	size_t len = 0, k, count = 0, c;

	for (c = 0; c <= NSL_OT_COSINE; c++)
		count += (costs >> c) & 1;
	buf[0] = '\0';
	for (c = 0, k = 0; c <= NSL_OT_COSINE && len < size; c++)
		if ((costs >> c) & 1) {
			len += (size_t)snprintf(buf + len, size - len, "%s%s",
			    k == 0 ? "" : k + 1 == count ? " or " : ", ",
			    nsl_ot_cost_name((enum nsl_ot_cost)c));
			k++;
		}
}

void
nsl_ot_methods_list(struct nsl_buf *b)
{
	const struct nsl_ot_method *m;
	size_t i, k;

	for (m = nsl_ot_methods; m->name != NULL; m++) {
		nsl_buf_addf(b, "%-12s%s\n            costs:", m->name,
		    m->summary);
		for (i = 0, k = 0; i <= NSL_OT_COSINE; i++)
			if (m->costs >> i & 1)
				nsl_buf_addf(b, "%s %s", k++ ? "," : "",
				    nsl_ot_cost_name((enum nsl_ot_cost)i));
		for (i = 0, k = 0; i < sizeof(param_names) /
		    sizeof(*param_names); i++)
			if (m->params & param_names[i].bit)
				nsl_buf_addf(b, "%s %s", k++ ? "," :
				    "; parameters:", param_names[i].names);
		if (m->flags & NSL_OT_PLAN)
			nsl_buf_adds(b, "; potentials, plan");
		if (m->flags & NSL_OT_AS_INNER)
			nsl_buf_adds(b, "; otdd's inner");
		nsl_buf_addc(b, '\n');
	}
}

const char *
nsl_ot_param_parse(struct nsl_ot_params *o, const char *name,
    const char *arg)
{
	static _Thread_local char msg[256];
	const struct nsl_ot_method *m = nsl_ot_method_find(arg);
	char names[128];
	int i;

	if (strcmp(name, "method") == 0) {
		if (m != NULL) {
			o->method = m;
			return NULL;
		}
		snprintf(msg, sizeof(msg), "unknown method '%s'", arg);
	} else if (strcmp(name, "inner") == 0) {
		if (m != NULL && (m->flags & NSL_OT_AS_INNER)) {
			o->inner = m;
			return NULL;
		}
		snprintf(msg, sizeof(msg), "'%s' is not %s", arg, names_where(0,
		    NSL_OT_AS_INNER, names, sizeof(names)));
	} else if (strcmp(name, "cost") == 0) {
		if ((i = nsl_ot_cost_parse(arg)) >= 0) {
			o->cost = (enum nsl_ot_cost)i;
			return NULL;
		}
		cost_list(ALL_COSTS, names, sizeof(names));
		snprintf(msg, sizeof(msg), "unknown cost '%s' (%s)", arg,
		    names);
	} else if (strcmp(name, "control-variate") == 0) {
		/* "none" is the default, not a choice */
		for (i = 1; cv_names[i] != NULL; i++)
			if (strcmp(arg, cv_names[i]) == 0) {
				o->cv = (enum nsl_ot_cv)i;
				return NULL;
			}
		snprintf(msg, sizeof(msg), "'%s' is not lower or upper", arg);
	} else
		snprintf(msg, sizeof(msg), "no parameter '%s'", name);
	return msg;
}

void
nsl_ot_params_init(struct nsl_ot_params *o)
{
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);

	memset(o, 0, sizeof(*o));
	o->method = nsl_ot_method_find("exact");
	o->cost = NSL_OT_SQEUCLIDEAN;
	o->p = 2;
	o->eps = 0;
	o->eps_rel = 0.05;
	o->tol = 1e-9;
	o->max_iter = 100000;
	o->scaling = 0.5;
	o->max_memory = pages > 0 && psize > 0 ?
	    (double)pages * (double)psize / 4 : 1e9;
	o->projections = 100;
	o->cv = NSL_OT_CV_NONE;
	o->inner = o->method;
	o->plan_threshold = 1e-12;
}

const char *
nsl_ot_check(const struct nsl_ot_params *o)
{
	static _Thread_local char msg[256];
	const struct nsl_ot_method *m = o->method;
	char names[128];

	if (m == NULL)
		return "--method: no method";
	if (o->cost == NSL_OT_SQEUCLIDEAN && o->p != 2)
		return "--p: the sqeuclidean cost has p = 2 (use --cost "
		    "euclidean --p P)";
	if (o->cost == NSL_OT_COSINE && o->p != 1)
		return "--p: the cosine cost has p = 1";
	if (!(o->p >= 1))
		return "--p: must be at least 1";
	if (!(o->tol > 0))
		return "--tol: must be positive";
	if (!(o->scaling > 0 && o->scaling < 1))
		return "--eps-scaling: must be in (0, 1)";
	if (o->eps <= 0 && o->eps_rel <= 0)
		return "--eps or --eps-rel: must be positive";
	if (o->cv != NSL_OT_CV_NONE && !(m->params & NSL_OT_P_CV)) {
		snprintf(msg, sizeof(msg), "--control-variate: only with "
		    "--method %s", names_where(NSL_OT_P_CV, 0, names,
		    sizeof(names)));
		return msg;
	}
	if (o->cv != NSL_OT_CV_NONE && o->cost != NSL_OT_SQEUCLIDEAN)
		return "--control-variate: needs the sqeuclidean cost "
		    "(Gaussian W2)";
	if (!(m->costs >> o->cost & 1)) {
		cost_list(m->costs, names, sizeof(names));
		snprintf(msg, sizeof(msg), "%s: needs the %s cost", m->name,
		    names);
		return msg;
	}
	if (o->inner == NULL || !(o->inner->flags & NSL_OT_AS_INNER)) {
		snprintf(msg, sizeof(msg), "--inner: %s", names_where(0,
		    NSL_OT_AS_INNER, names, sizeof(names)));
		return msg;
	}
	if (o->projections < 2)
		return "--projections: at least 2";
	return NULL;
}
