/*
 * nsl-probe - train a linear probe or a small MLP on embeddings and
 * evaluate it; prints one result record.  The work is in lib/probe.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "nsl/dataset.h"
#include "nsl/io.h"
#include "nsl/json.h"
#include "nsl/probe.h"

#define DEFAULT_LABEL "label"
#define DEFAULT_TEACHER "teacher"
#define MAX_TAGS 64

enum {
	OPT_TRAIN = 1, OPT_TEST, OPT_MODEL, OPT_L2, OPT_NO_INTERCEPT,
	OPT_NO_STANDARDIZE, OPT_TOL, OPT_MAX_ITER, OPT_HIDDEN, OPT_EPOCHS,
	OPT_BATCH, OPT_LR, OPT_OPTIMIZER, OPT_LABEL, OPT_DYNAMICS,
	OPT_PREDICT, OPT_TAG, OPT_TEACHER, OPT_TEACHER_FILE, OPT_TIMING
};

static const struct option longopts[] = {
	{ "train", required_argument, NULL, OPT_TRAIN },
	{ "test", required_argument, NULL, OPT_TEST },
	{ "model", required_argument, NULL, OPT_MODEL },
	{ "l2", required_argument, NULL, OPT_L2 },
	{ "no-intercept", no_argument, NULL, OPT_NO_INTERCEPT },
	{ "no-standardize", no_argument, NULL, OPT_NO_STANDARDIZE },
	{ "tol", required_argument, NULL, OPT_TOL },
	{ "max-iter", required_argument, NULL, OPT_MAX_ITER },
	{ "hidden", required_argument, NULL, OPT_HIDDEN },
	{ "epochs", required_argument, NULL, OPT_EPOCHS },
	{ "batch", required_argument, NULL, OPT_BATCH },
	{ "lr", required_argument, NULL, OPT_LR },
	{ "optimizer", required_argument, NULL, OPT_OPTIMIZER },
	{ "label-field", required_argument, NULL, OPT_LABEL },
	{ "dynamics", required_argument, NULL, OPT_DYNAMICS },
	{ "predict", required_argument, NULL, OPT_PREDICT },
	{ "tag", required_argument, NULL, OPT_TAG },
	{ "teacher", required_argument, NULL, OPT_TEACHER },
	{ "teacher-file", required_argument, NULL, OPT_TEACHER_FILE },
	{ "timing", no_argument, NULL, OPT_TIMING },
	{ NULL, 0, NULL, 0 }
};

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: nsl-probe [-hqV] --train FILE [--test FILE] [--model linear|mlp]\n"
"                 [--l2 L] [--no-intercept] [--no-standardize] [--tol T]\n"
"                 [--max-iter N] [--hidden H] [--epochs E] [--batch B]\n"
"                 [--lr R] [--optimizer adam|sgd] [--seed N] [--field NAME]\n"
"                 [--label-field NAME] [--dynamics FILE] [--predict FILE]\n"
"                 [--teacher FIELD] [--teacher-file FILE] [--tag K=V ...]\n"
"                 [--float32] [--timing] [-o FILE]\n"
"\n"
"Train a classifier (embedding -> label) on --train, evaluate it on --test\n"
"and print one result record.  Features are standardised with the\n"
"training set's mean and deviation.\n"
"\n"
"  --model M          linear (multinomial logistic regression, L-BFGS;\n"
"                     the default) or mlp (one hidden ReLU layer)\n"
"  --l2 L             L2 strength, mean loss + L/2 ||W||^2 (default %g);\n"
"                     sklearn's C = 1 / (L * n_train)\n"
"  --no-intercept     linear: no bias, features scaled but not centred\n"
"  --no-standardize   use the features as they are\n"
"  --tol T            linear: stop at max |gradient| <= T (default %g)\n"
"  --max-iter N       linear: L-BFGS iterations at most (default %d)\n"
"  --hidden H         mlp: hidden units (default %d)\n"
"  --epochs E         mlp: passes over the data (default %d)\n"
"  --batch B          mlp: minibatch size (default %d)\n"
"  --lr R             mlp: step size (default %g for adam, %g for sgd)\n"
"  --optimizer O      mlp: adam (default) or sgd (momentum %g)\n"
"  --seed N           mlp: weights and shuffles (default %d)\n"
"  --field NAME       the embedding (default %s)\n"
"  --label-field NAME the label (default %s)\n"
"  --dynamics FILE    mlp: per training example, logits after each epoch\n"
"  --predict FILE     per test example: label, pred, logits\n"
"  --teacher FIELD    add gen_error = angle(student, teacher) / pi, the\n"
"                     teacher vector from FIELD of the first training record\n"
"  --teacher-file F   ... or of the first record of F (field \"%s\"\n"
"                     unless --teacher names another)\n"
"  --tag K=V          add K to the result (V as JSON if it parses, else a\n"
"                     string); repeatable\n"
"  --float32          write logits as float32\n"
"  --timing           add \"seconds\": wall-clock time of training and\n"
"                     evaluation (the one field that varies run to run)\n"
"  -o, --output FILE  write the result record to FILE\n"
"  -q, --quiet        no progress meter\n"
"  -h, --help         this help\n"
"  -V, --version      the version\n"
"\n"
"Exit status: 0 done, 64 bad command line, 65 bad data, 66 cannot open an\n"
"input, 74 I/O error.\n",
	    NSL_PROBE_DEFAULT_L2, NSL_PROBE_DEFAULT_TOL,
	    NSL_PROBE_DEFAULT_MAX_ITER, NSL_PROBE_DEFAULT_HIDDEN,
	    NSL_PROBE_DEFAULT_EPOCHS, NSL_PROBE_DEFAULT_BATCH,
	    NSL_PROBE_DEFAULT_LR_ADAM, NSL_PROBE_DEFAULT_LR_SGD,
	    NSL_PROBE_MOMENTUM, NSL_DEFAULT_SEED, NSL_DEFAULT_FIELD,
	    DEFAULT_LABEL, DEFAULT_TEACHER);
}

static const struct nsl_tool tool = {
	.name = "probe",
	.summary = "train and evaluate a linear probe or a small MLP "
	    "on embeddings",
	.usage = usage,
	.common = NSL_CLI_OUTPUT | NSL_CLI_SEED | NSL_CLI_FIELD |
	    NSL_CLI_FLOAT32
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/*
 * Is k[0..kl) a member of the summary record under these options?  A
 * --tag of that name would replace a result, so it is refused.  Keep in
 * step with the writing of the summary in main().
 */
static int
summary_member(const char *k, size_t kl, enum nsl_probe_model model,
    int test, int teacher)
{
	static const char *const always[] = { "model", "n_train", "d",
	    "classes", "train_error", "train_loss", "l2", "epochs",
	    "seconds" };
	static const char *const with_test[] = { "n_test", "test_error",
	    "test_loss" };
	static const char *const linear[] = { "objective", "converged" };
	static const char *const mlp[] = { "hidden", "seed" };
	size_t i;

#define IS(name) (strlen(name) == kl && memcmp(name, k, kl) == 0)
	for (i = 0; i < sizeof(always) / sizeof(*always); i++)
		if (IS(always[i]))
			return 1;
	for (i = 0; test && i < sizeof(with_test) / sizeof(*with_test); i++)
		if (IS(with_test[i]))
			return 1;
	for (i = 0; i < 2; i++)
		if (IS(model == NSL_PROBE_LINEAR ? linear[i] : mlp[i]))
			return 1;
	return teacher && IS("gen_error");
#undef IS
}

int
main(int argc, char **argv)
{
	struct nsl_cli cli;
	struct nsl_probe_params p;
	struct nsl_dataset tr, te;
	struct nsl_probe m;
	struct nsl_err err;
	struct nsl_buf b = NSL_BUF_INIT;
	struct nsl_obj o;
	struct nsl_writer *w;
	const char *train = NULL, *test = NULL, *label = DEFAULT_LABEL;
	const char *dyn = NULL, *pred = NULL, *teacher = NULL, *tfile = NULL;
	const char *tags[MAX_TAGS];
	size_t ntags = 0, i;
	double *z, *tw = NULL, t0, tr_loss, tr_err, lr = -1;
	int c, *cls = NULL, timing = 0;

	nsl_probe_params_default(&p, NSL_PROBE_LINEAR);
	nsl_cli_init(&cli, &tool, longopts, "");
	while ((c = nsl_cli_next(&cli, argc, argv)) != -1) {
		switch (c) {
		case OPT_TRAIN: train = optarg; break;
		case OPT_TEST: test = optarg; break;
		case OPT_MODEL:
			if (strcmp(optarg, "linear") == 0)
				p.model = NSL_PROBE_LINEAR;
			else if (strcmp(optarg, "mlp") == 0)
				p.model = NSL_PROBE_MLP;
			else
				nsl_usage_error("--model: unknown model \"%s\" "
				    "(linear or mlp)", optarg);
			break;
		case OPT_L2: p.l2 = nsl_arg_double("--l2", optarg, 0, 1e300); break;
		case OPT_NO_INTERCEPT: p.intercept = 0; break;
		case OPT_NO_STANDARDIZE: p.standardize = 0; break;
		case OPT_TOL: p.tol = nsl_arg_double("--tol", optarg, 1e-300, 1e300); break;
		case OPT_MAX_ITER: p.max_iter = (size_t)nsl_arg_long("--max-iter", optarg, 1, 100000000); break;
		case OPT_HIDDEN: p.hidden = (size_t)nsl_arg_long("--hidden", optarg, 1, 1000000); break;
		case OPT_EPOCHS: p.epochs = (size_t)nsl_arg_long("--epochs", optarg, 1, 1000000); break;
		case OPT_BATCH: p.batch = (size_t)nsl_arg_long("--batch", optarg, 1, 100000000); break;
		case OPT_LR: lr = nsl_arg_double("--lr", optarg, 1e-300, 1e300); break;
		case OPT_OPTIMIZER:
			if (strcmp(optarg, "adam") == 0)
				p.optimizer = NSL_PROBE_ADAM;
			else if (strcmp(optarg, "sgd") == 0)
				p.optimizer = NSL_PROBE_SGD;
			else
				nsl_usage_error("--optimizer: unknown \"%s\" "
				    "(adam or sgd)", optarg);
			break;
		case OPT_LABEL: label = optarg; break;
		case OPT_DYNAMICS: dyn = optarg; p.dynamics = 1; break;
		case OPT_PREDICT: pred = optarg; break;
		case OPT_TAG:
			if (ntags == MAX_TAGS)
				nsl_usage_error("--tag: at most %d", MAX_TAGS);
			tags[ntags++] = optarg;
			break;
		case OPT_TEACHER: teacher = optarg; break;
		case OPT_TEACHER_FILE: tfile = optarg; break;
		case OPT_TIMING: timing = 1; break;
		}
	}
	if (optind < argc)
		nsl_usage_error("unexpected operand \"%s\"", argv[optind]);
	if (train == NULL)
		nsl_usage_error("--train FILE is required");
	if (pred != NULL && test == NULL)
		nsl_usage_error("--predict needs --test");
	p.seed = cli.common.seed;
	p.lr = lr > 0 ? lr : p.optimizer == NSL_PROBE_SGD ?
	    NSL_PROBE_DEFAULT_LR_SGD : NSL_PROBE_DEFAULT_LR_ADAM;
	{
		const char *msg = nsl_probe_check(&p);

		if (msg != NULL)
			nsl_usage_error("%s", msg);
	}
	if ((teacher != NULL || tfile != NULL) && p.model != NSL_PROBE_LINEAR)
		nsl_usage_error("--teacher needs --model linear");
	for (i = 0; i < ntags; i++) {
		size_t kl, j;

		if (strchr(tags[i], '=') == NULL || tags[i][0] == '=' ||
		    strchr(tags[i], '=') - tags[i] >= 256)
			nsl_usage_error("--tag %s: expected KEY=VALUE", tags[i]);
		kl = (size_t)(strchr(tags[i], '=') - tags[i]);
		for (j = 0; j < i; j++)
			if (strncmp(tags[j], tags[i], kl + 1) == 0)
				nsl_usage_error("--tag %.*s: given twice",
				    (int)kl, tags[i]);
		if (summary_member(tags[i], kl, p.model, test != NULL,
		    teacher != NULL || tfile != NULL))
			nsl_usage_error("--tag %.*s: the result has a field of "
			    "that name", (int)kl, tags[i]);
	}

	nsl_err_clear(&err);
	memset(&te, 0, sizeof(te));
	if (nsl_dataset_read(&tr, &train, 1, cli.common.field, label,
	    NSL_DATASET_KEEP_LINES, &err) != 0)
		nsl_die_err(&err);
	if (test != NULL) {
		if (nsl_dataset_read(&te, &test, 1, cli.common.field, label,
		    NSL_DATASET_KEEP_LINES, &err) != 0)
			nsl_die_err(&err);
		if (te.d != tr.d)
			nsl_die(NSL_EX_DATAERR, "%s:%lu: field \"%s\": %zu "
			    "numbers, the training set has %zu", te.paths[0],
			    te.where[0].line, cli.common.field, te.d, tr.d);
		if ((cls = malloc(te.n * sizeof(*cls))) == NULL)
			nsl_die(NSL_EX_SOFTWARE, "out of memory");
		if (nsl_probe_map_labels(&tr, &te, cls, &err) != 0)
			nsl_die_err(&err);
	}
	if ((teacher != NULL || tfile != NULL) &&
	    nsl_probe_read_teacher(tfile ? tfile : train, teacher ?
	    teacher : DEFAULT_TEACHER, tr.d, &tw, &err) != 0)
		nsl_die_err(&err);

	t0 = now();
	if (nsl_probe_train(&m, tr.x, tr.label, tr.n, tr.d, tr.nlabels, &p,
	    &err) != 0) {
		nsl_err_at(&err, tr.paths[0], 0);
		nsl_die_err(&err);
	}
	if ((z = malloc((tr.n > te.n ? tr.n : te.n) * tr.nlabels *
	    sizeof(double))) == NULL)
		nsl_die(NSL_EX_SOFTWARE, "out of memory");
	if (nsl_probe_logits(&m, tr.x, tr.n, z, &err) != 0)
		nsl_die_err(&err);
	tr_loss = nsl_probe_loss(z, tr.label, tr.n, tr.nlabels, &tr_err);

	nsl_obj_begin(&o, &b);
	nsl_obj_key(&o, "model");
	nsl_obj_string(&o, p.model == NSL_PROBE_LINEAR ? "linear" : "mlp");
	nsl_obj_key(&o, "n_train");
	nsl_obj_integer(&o, (long long)tr.n);
	nsl_obj_key(&o, "d");
	nsl_obj_integer(&o, (long long)tr.d);
	nsl_obj_key(&o, "classes");
	nsl_obj_integer(&o, (long long)tr.nlabels);
	if (test != NULL) {
		double te_loss, te_err;

		if (nsl_probe_logits(&m, te.x, te.n, z, &err) != 0)
			nsl_die_err(&err);
		te_loss = nsl_probe_loss(z, cls, te.n, tr.nlabels, &te_err);
		if (pred != NULL && nsl_probe_write_rows(pred, NSL_PROBE_PREDICT,
		    &te, z, 1, tr.nlabels, cls, tr.label_names,
		    cli.common.float32, &err) != 0)
			nsl_die_err(&err);
		nsl_obj_key(&o, "n_test");
		nsl_obj_integer(&o, (long long)te.n);
		nsl_obj_key(&o, "test_error");
		nsl_obj_number(&o, te_err);
		nsl_obj_key(&o, "test_loss");
		nsl_obj_number(&o, te_loss);
	}
	nsl_obj_key(&o, "train_error");
	nsl_obj_number(&o, tr_err);
	nsl_obj_key(&o, "train_loss");
	nsl_obj_number(&o, tr_loss);
	if (tw != NULL) {
		double *sw = malloc(tr.d * sizeof(double)), ge;

		if (sw == NULL)
			nsl_die(NSL_EX_SOFTWARE, "out of memory");
		if (nsl_probe_direction(&m, sw, &err) != 0)
			nsl_die_err(&err);
		ge = nsl_probe_angle_error(sw, tw, tr.d);
		if (isnan(ge))
			nsl_die(NSL_EX_DATAERR, "the teacher or the student "
			    "is the zero vector: no angle");
		nsl_obj_key(&o, "gen_error");
		nsl_obj_number(&o, ge);
		free(sw);
	}
	nsl_obj_key(&o, "l2");
	nsl_obj_number(&o, p.l2);
	nsl_obj_key(&o, "epochs");
	nsl_obj_integer(&o, (long long)m.iterations);
	if (p.model == NSL_PROBE_LINEAR) {
		nsl_obj_key(&o, "objective");
		nsl_obj_number(&o, m.objective);
		nsl_obj_key(&o, "converged");
		nsl_obj_bool(&o, m.converged);
	} else {
		nsl_obj_key(&o, "hidden");
		nsl_obj_integer(&o, (long long)p.hidden);
		nsl_obj_key(&o, "seed");
		nsl_obj_integer(&o, (long long)p.seed);
	}
	if (timing) {
		nsl_obj_key(&o, "seconds");
		nsl_obj_number(&o, round((now() - t0) * 1000) / 1000);
	}
	for (i = 0; i < ntags; i++)
		nsl_probe_add_tag(&o, tags[i]);
	nsl_obj_end(&o);
	if (dyn != NULL && nsl_probe_write_rows(dyn, NSL_PROBE_DYNAMICS, &tr,
	    m.dynamics, p.epochs, tr.nlabels, tr.label, tr.label_names,
	    cli.common.float32, &err) != 0)
		nsl_die_err(&err);
	if ((w = nsl_writer_open(cli.common.output, &err)) == NULL ||
	    nsl_writer_write(w, b.data, b.len, &err) != 0 ||
	    nsl_writer_commit(w, &err) != 0)
		nsl_die_err(&err);

	nsl_buf_release(&b);
	free(z);
	free(tw);
	free(cls);
	nsl_probe_release(&m);
	nsl_dataset_release(&tr);
	nsl_dataset_release(&te);
	nsl_cli_release(&cli);
	return nsl_finish();
}
