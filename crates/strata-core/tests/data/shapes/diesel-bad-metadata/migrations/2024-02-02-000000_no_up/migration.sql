create table prisma_style (id int);
