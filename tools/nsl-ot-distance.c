/*
 * nsl-ot-distance - optimal-transport distance between two record sets.
 *
 * Reads A and B (lib/dataset.c), solves (lib/ot*.c) and prints one result
 * record; --potentials and --plan write the duals and the coupling.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "nsl/buf.h"
#include "cli.h"
#include "nsl/dataset.h"
#include "nsl/io.h"
#include "nsl/json.h"
#include "nsl/ot.h"

enum {
	OPT_METHOD = 1, OPT_COST, OPT_P, OPT_EPS, OPT_EPS_REL, OPT_TOL,
	OPT_MAX_ITER, OPT_SCALING, OPT_MAX_MEMORY, OPT_PROJECTIONS, OPT_CV,
	OPT_INNER, OPT_WEIGHT_FIELD, OPT_LABEL_FIELD, OPT_POTENTIALS, OPT_PLAN,
	OPT_PLAN_THRESHOLD, OPT_TIMING
};

static const struct option longopts[] = {
	{ "method", required_argument, NULL, OPT_METHOD },
	{ "cost", required_argument, NULL, OPT_COST },
	{ "p", required_argument, NULL, OPT_P },
	{ "eps", required_argument, NULL, OPT_EPS },
	{ "eps-rel", required_argument, NULL, OPT_EPS_REL },
	{ "tol", required_argument, NULL, OPT_TOL },
	{ "max-iter", required_argument, NULL, OPT_MAX_ITER },
	{ "eps-scaling", required_argument, NULL, OPT_SCALING },
	{ "max-memory", required_argument, NULL, OPT_MAX_MEMORY },
	{ "projections", required_argument, NULL, OPT_PROJECTIONS },
	{ "control-variate", required_argument, NULL, OPT_CV },
	{ "inner", required_argument, NULL, OPT_INNER },
	{ "weight-field", required_argument, NULL, OPT_WEIGHT_FIELD },
	{ "label-field", required_argument, NULL, OPT_LABEL_FIELD },
	{ "potentials", required_argument, NULL, OPT_POTENTIALS },
	{ "plan", required_argument, NULL, OPT_PLAN },
	{ "plan-threshold", required_argument, NULL, OPT_PLAN_THRESHOLD },
	{ "timing", no_argument, NULL, OPT_TIMING },
	{ NULL, 0, NULL, 0 }
};

static void
usage(FILE *fp)
{
	struct nsl_ot_params d;

	nsl_ot_params_init(&d);
	fprintf(fp,
"usage: nsl-ot-distance [-hqV] [--method M] [--cost C] [--p P] [--eps E]\n"
"                       [--eps-rel R] [--tol T] [--max-iter N]\n"
"                       [--eps-scaling S] [--max-memory BYTES]\n"
"                       [--projections L] [--seed N] [--control-variate CV]\n"
"                       [--inner exact|sinkhorn] [--field NAME]\n"
"                       [--weight-field NAME] [--label-field NAME]\n"
"                       [--potentials FILE] [--plan FILE]\n"
"                       [--plan-threshold X] [--timing] [-o FILE]\n"
"                       A.jsonl B.jsonl\n"
"\n"
"Optimal-transport distance between the point sets of A and B; prints one\n"
"record.\n"
"\n"
"  --method M          exact (default), sinkhorn, divergence, sns, sliced,\n"
"                      gaussian or otdd\n"
"  --cost C            sqeuclidean (default, p = 2), euclidean (|x-y|^p)\n"
"                      or cosine (1 - cos, p = 1)\n"
"  --p P               power for --cost euclidean (default 1)\n"
"  --eps E             entropic epsilon, absolute\n"
"  --eps-rel R         epsilon = R x the mean cost under a x b (default %g)\n"
"  --tol T             stop at this L1 marginal error (default %g)\n"
"  --max-iter N        Sinkhorn iterations at the target eps (default %ld)\n"
"  --eps-scaling S     epsilon annealing factor per step (default %g)\n"
"  --max-memory BYTES  store cost matrices up to this size, else compute\n"
"                      them in blocks (default a quarter of RAM; K, M, G)\n"
"  --projections L     sliced: directions (default %ld)\n"
"  --seed N            sliced: random directions (default %d)\n"
"  --control-variate CV  sliced, sqeuclidean: lower or upper\n"
"  --inner S           otdd: exact (default) or sinkhorn\n"
"  --field NAME        the vector field (default %s)\n"
"  --weight-field NAME point weights (default uniform)\n"
"  --label-field NAME  labels, for otdd\n"
"  --potentials FILE   write the dual potentials, one record per point\n"
"  --plan FILE         write the coupling's entries as (i, j, mass)\n"
"  --plan-threshold X  only entries with mass > X (default %g)\n"
"  --timing            add \"seconds\": wall-clock time of reading and\n"
"                      solving (the one field that varies run to run)\n"
"  -o, --output FILE   write the result to FILE (atomically)\n"
"  -q, --quiet         no progress meter\n"
"  -h, --help          this help\n"
"  -V, --version       the version\n"
"\n"
"Exit status: 0 done, 64 bad command line, 65 bad data, 66 cannot open an\n"
"input, 70 out of memory, 74 I/O error.\n",
	    d.eps_rel, d.tol, d.max_iter, d.scaling, d.projections,
	    NSL_DEFAULT_SEED, NSL_DEFAULT_FIELD, d.plan_threshold);
}

static const struct nsl_tool tool = {
	.name = "ot-distance",
	.summary = "optimal-transport distance between two record sets",
	.usage = usage,
	.common = NSL_CLI_OUTPUT | NSL_CLI_SEED | NSL_CLI_FIELD
};

static double
bytes_arg(const char *arg)
{
	char num[64];
	size_t len = strlen(arg);
	double mult = 1;

	if (len > 0 && len < sizeof(num) && strchr("kKmMgG", arg[len - 1])) {
		mult = strchr("kK", arg[len - 1]) ? 1e3 :
		    strchr("mM", arg[len - 1]) ? 1e6 : 1e9;
		memcpy(num, arg, len - 1);
		num[len - 1] = '\0';
		arg = num;
	}
	return mult * nsl_arg_double("--max-memory", arg, 1, 1e18);
}

static void
key_num(struct nsl_obj *o, const char *k, double v)
{
	if (!isnan(v)) {
		nsl_obj_key(o, k);
		nsl_obj_number(o, v);
	}
}

/*
 * A number in cost units (value, objective, epsilon, std_error): null when
 * it is beyond the double range while the distance is not -- points 1e160
 * apart under sqeuclidean are distance 1e160, value 1e320.  (A distance
 * beyond the range is refused by the writer's check, exit 65.)
 */
static void
key_cost(struct nsl_obj *o, const char *k, double v)
{
	if (isinf(v)) {
		nsl_obj_key(o, k);
		nsl_obj_null(o);
	} else
		key_num(o, k, v);
}

static void
key_int(struct nsl_obj *o, const char *k, long long v)
{
	if (v >= 0) {
		nsl_obj_key(o, k);
		nsl_obj_integer(o, v);
	}
}

static void
write_out(struct nsl_writer *w, struct nsl_buf *b)
{
	struct nsl_err err;

	if (nsl_writer_write(w, b->data, b->len, &err) != 0)
		nsl_die_err(&err);
	nsl_buf_reset(b);
}

static void
write_potentials(const char *path, const struct nsl_ot_result *r, size_t n,
    size_t m)
{
	struct nsl_writer *w;
	struct nsl_buf b;
	struct nsl_obj o;
	struct nsl_err err;
	size_t i;
	int side;

	if ((w = nsl_writer_open(path, &err)) == NULL)
		nsl_die_err(&err);
	nsl_buf_init(&b);
	for (side = 0; side < 2; side++)
		for (i = 0; i < (side ? m : n); i++) {
			nsl_obj_begin(&o, &b);
			nsl_obj_key(&o, "set");
			nsl_obj_string(&o, side ? "b" : "a");
			nsl_obj_key(&o, "i");
			nsl_obj_integer(&o, (long long)i);
			nsl_obj_key(&o, "potential");
			nsl_obj_number(&o, side ? r->g[i] : r->f[i]);
			nsl_obj_end(&o);
			if (b.len > 65536)
				write_out(w, &b);
		}
	write_out(w, &b);
	if (nsl_writer_commit(w, &err) != 0)
		nsl_die_err(&err);
	nsl_buf_release(&b);
}

static void
write_plan(const char *path, const struct nsl_ot_result *r)
{
	struct nsl_writer *w;
	struct nsl_buf b;
	struct nsl_obj o;
	struct nsl_err err;
	size_t k;

	if ((w = nsl_writer_open(path, &err)) == NULL)
		nsl_die_err(&err);
	nsl_buf_init(&b);
	for (k = 0; k < r->nplan; k++) {
		nsl_obj_begin(&o, &b);
		nsl_obj_key(&o, "i");
		nsl_obj_integer(&o, (long long)r->plan[k].i);
		nsl_obj_key(&o, "j");
		nsl_obj_integer(&o, (long long)r->plan[k].j);
		nsl_obj_key(&o, "mass");
		nsl_obj_number(&o, r->plan[k].mass);
		nsl_obj_end(&o);
		if (b.len > 65536)
			write_out(w, &b);
	}
	write_out(w, &b);
	if (nsl_writer_commit(w, &err) != 0)
		nsl_die_err(&err);
	nsl_buf_release(&b);
}

int
main(int argc, char **argv)
{
	struct nsl_ot_params par;
	struct nsl_ot_problem pr;
	struct nsl_ot_result res;
	struct nsl_ot_set A, B;
	struct nsl_cli cli;
	struct nsl_err err;
	struct nsl_writer *w;
	struct nsl_buf b;
	struct nsl_obj o;
	struct timespec t0, t1;
	const char *weight_field = NULL, *label_field = NULL, *msg;
	const char *pot_path = NULL, *plan_path = NULL;
	int ch, v, eps_given = 0, rel_given = 0, p_given = 0, timing = 0;

	nsl_err_clear(&err);
	nsl_ot_params_init(&par);
	nsl_cli_init(&cli, &tool, longopts, "");
	while ((ch = nsl_cli_next(&cli, argc, argv)) != -1) {
		switch (ch) {
		case OPT_METHOD:
			if ((v = nsl_ot_method_parse(optarg)) < 0)
				nsl_usage_error("--method: unknown method "
				    "'%s'", optarg);
			par.method = (enum nsl_ot_method)v;
			break;
		case OPT_COST:
			if ((v = nsl_ot_cost_parse(optarg)) < 0)
				nsl_usage_error("--cost: unknown cost '%s' "
				    "(sqeuclidean, euclidean or cosine)",
				    optarg);
			par.cost = (enum nsl_ot_cost)v;
			if (!p_given)
				par.p = v == NSL_OT_SQEUCLIDEAN ? 2 : 1;
			break;
		case OPT_P:
			par.p = nsl_arg_double("--p", optarg, 1, 100);
			p_given = 1;
			break;
		case OPT_EPS:
			par.eps = nsl_arg_double("--eps", optarg, 1e-300,
			    1e300);
			eps_given = 1;
			break;
		case OPT_EPS_REL:
			par.eps_rel = nsl_arg_double("--eps-rel", optarg,
			    1e-300, 1e300);
			rel_given = 1;
			break;
		case OPT_TOL:
			par.tol = nsl_arg_double("--tol", optarg, 1e-300, 10);
			break;
		case OPT_MAX_ITER:
			par.max_iter = (long)nsl_arg_long("--max-iter", optarg,
			    1, 1000000000);
			break;
		case OPT_SCALING:
			par.scaling = nsl_arg_double("--eps-scaling", optarg,
			    1e-6, 0.999999);
			break;
		case OPT_MAX_MEMORY:
			par.max_memory = bytes_arg(optarg);
			break;
		case OPT_PROJECTIONS:
			par.projections = (long)nsl_arg_long("--projections",
			    optarg, 2, 100000000);
			break;
		case OPT_CV:
			if (strcmp(optarg, "lower") == 0)
				par.cv = NSL_OT_CV_LOWER;
			else if (strcmp(optarg, "upper") == 0)
				par.cv = NSL_OT_CV_UPPER;
			else
				nsl_usage_error("--control-variate: '%s' is "
				    "not lower or upper", optarg);
			break;
		case OPT_INNER:
			v = nsl_ot_method_parse(optarg);
			if (v != NSL_OT_EXACT && v != NSL_OT_SINKHORN)
				nsl_usage_error("--inner: '%s' is not exact "
				    "or sinkhorn", optarg);
			par.inner = (enum nsl_ot_method)v;
			break;
		case OPT_WEIGHT_FIELD:
			weight_field = optarg;
			break;
		case OPT_LABEL_FIELD:
			label_field = optarg;
			break;
		case OPT_POTENTIALS:
			pot_path = optarg;
			par.want_potentials = 1;
			break;
		case OPT_PLAN:
			plan_path = optarg;
			par.want_plan = 1;
			break;
		case OPT_PLAN_THRESHOLD:
			par.plan_threshold = nsl_arg_double("--plan-threshold",
			    optarg, 0, 1);
			break;
		case OPT_TIMING:
			timing = 1;
			break;
		default:
			nsl_usage_error("unexpected option");
		}
	}
	if (eps_given && rel_given)
		nsl_usage_error("--eps and --eps-rel: give one");
	par.seed = cli.common.seed;
	if ((msg = nsl_ot_check(&par)) != NULL)
		nsl_usage_error("%s", msg);
	if (argc - optind != 2)
		nsl_usage_error("expected two inputs, A and B");
	if (par.method == NSL_OT_OTDD && label_field == NULL)
		nsl_usage_error("--method otdd: needs --label-field");
	if ((par.want_potentials || par.want_plan) &&
	    (par.method == NSL_OT_SLICED || par.method == NSL_OT_GAUSSIAN))
		nsl_usage_error("--potentials and --plan: not with %s",
		    nsl_ot_method_name(par.method));

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(&A, 0, sizeof(A));
	memset(&B, 0, sizeof(B));
	if (nsl_ot_set_read(&A, argv[optind], cli.common.field, weight_field,
	    par.method == NSL_OT_OTDD ? label_field : NULL, &err) < 0 ||
	    nsl_ot_set_read(&B, argv[optind + 1], cli.common.field,
	    weight_field, par.method == NSL_OT_OTDD ? label_field : NULL,
	    &err) < 0)
		nsl_die_err(&err);
	if (A.ds->d != B.ds->d)
		nsl_die(NSL_EX_DATAERR, "%s and %s: vectors of different "
		    "lengths (%zu and %zu)", argv[optind], argv[optind + 1],
		    A.ds->d, B.ds->d);
	memset(&pr, 0, sizeof(pr));
	pr.x = A.ds->x;
	pr.n = A.ds->n;
	pr.y = B.ds->x;
	pr.m = B.ds->n;
	pr.d = A.ds->d;
	pr.a = A.w;
	pr.b = B.w;
	pr.la = A.ds->label;
	pr.nla = A.ds->nlabels;
	pr.lb = B.ds->label;
	pr.nlb = B.ds->nlabels;
	if (nsl_ot_solve(&par, &pr, &res, &err) < 0)
		nsl_die_err(&err);
	if (!res.converged)
		nsl_warn("did not converge in %ld iterations (marginal error "
		    "%g > --tol %g)", par.max_iter, res.marginal_error,
		    par.tol);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	if ((w = nsl_writer_open(cli.common.output, &err)) == NULL)
		nsl_die_err(&err);
	if (pot_path != NULL)
		write_potentials(pot_path, &res, pr.n, pr.m);
	if (plan_path != NULL)
		write_plan(plan_path, &res);
	nsl_buf_init(&b);
	nsl_obj_begin(&o, &b);
	key_num(&o, "distance", res.distance);
	key_cost(&o, "value", res.value);
	nsl_obj_key(&o, "method");
	nsl_obj_string(&o, nsl_ot_method_name(par.method));
	if (par.method == NSL_OT_OTDD) {
		nsl_obj_key(&o, "inner");
		nsl_obj_string(&o, nsl_ot_method_name(par.inner));
	}
	nsl_obj_key(&o, "cost");
	nsl_obj_string(&o, nsl_ot_cost_name(par.cost));
	key_num(&o, "p", par.p);
	key_int(&o, "n", (long long)pr.n);
	key_int(&o, "m", (long long)pr.m);
	key_int(&o, "d", (long long)pr.d);
	key_cost(&o, "epsilon", res.epsilon);
	key_cost(&o, "objective", res.objective);
	key_int(&o, "iterations", res.iterations);
	if (par.method == NSL_OT_SNS) {
		key_int(&o, "sinkhorn_iterations", res.sinkhorn_iterations);
		key_int(&o, "newton_iterations", res.newton_iterations);
	}
	key_num(&o, "marginal_error", res.marginal_error);
	if (par.method == NSL_OT_SLICED) {
		key_int(&o, "projections", par.projections);
		key_cost(&o, "std_error", res.std_error);
		key_num(&o, "variance_reduction", res.variance_reduction);
	}
	nsl_obj_key(&o, "converged");
	nsl_obj_bool(&o, res.converged);
	if (res.blocked) {
		nsl_obj_key(&o, "blocked");
		nsl_obj_bool(&o, 1);
	}
	nsl_obj_key(&o, "a");
	nsl_obj_string(&o, argv[optind]);
	nsl_obj_key(&o, "b");
	nsl_obj_string(&o, argv[optind + 1]);
	if (timing)
		key_num(&o, "seconds", (double)(t1.tv_sec - t0.tv_sec) +
		    1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
	nsl_obj_end(&o);
	write_out(w, &b);
	if (nsl_writer_commit(w, &err) != 0)
		nsl_die_err(&err);
	nsl_buf_release(&b);
	nsl_ot_result_release(&res);
	nsl_ot_set_release(&A);
	nsl_ot_set_release(&B);
	nsl_cli_release(&cli);
	return nsl_finish();
}
